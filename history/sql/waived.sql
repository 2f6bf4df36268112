-- The findings of each run that a waiver kept out of its report and counts
-- (docs/dispositions.md): the finding's latest answer recorded by the time
-- of the run is `waived`, until its as-of date or later. They stay open in
-- the history (a waiver hides a finding, it does not close it).
SELECT run_id, count(*) AS waived
FROM (
    SELECT f.run_id, d.status, d.until, r.as_of
    FROM finding f
    JOIN run r USING (run_id)
    JOIN disposition d ON d.id = f.id
    JOIN disposition_source s USING (source_id)
    WHERE s.recorded_at <= r.recorded_at
    QUALIFY row_number() OVER (PARTITION BY f.run_id, f.id ORDER BY s.recorded_at DESC, d.source_id DESC, d.position DESC) = 1
)
WHERE status = 'waived' AND until >= as_of
GROUP BY run_id
