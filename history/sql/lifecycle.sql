-- Lifecycle rows (open and resolved) of every run with as_of >= $1
-- (docs/history.md "Lifecycle"). Only the observations from each issuer's
-- last one before $1 on are read; what came before is summed up by the
-- lifecycle rows of the runs before $1, which a change at $1 leaves as
-- they are. not_evaluated.sql follows.
INSERT INTO lifecycle
WITH cut AS (
    -- each issuer's first observation on or after $1
    SELECT issuer_hios_id, min(k) AS k FROM observation WHERE as_of >= $1 GROUP BY ALL
),
present AS (
    SELECT f.id, f.issuer_hios_id, f.rule, f.category, f.exchange_policy_id, f.exchange_member_id,
           o.k, o.as_of, o.run_id, f.values_hash, f.monthly_amount_cents AS amount, o.k >= c.k AS recomputed
    FROM finding f
    JOIN observation o ON o.run_id = f.run_id AND o.issuer_hios_id = f.issuer_hios_id
    JOIN cut c ON c.issuer_hios_id = o.issuer_hios_id AND o.k >= c.k - 1
),
earlier AS (
    -- each finding as last seen before $1
    SELECT l.id, l.issuer_hios_id, arg_max(l.first_seen, l.last_seen) AS first_seen, arg_max(l.runs_seen, l.last_seen) AS runs_seen
    FROM lifecycle l JOIN run r USING (run_id)
    WHERE r.as_of < $1 AND l.status <> 'not_evaluated'
      AND (l.id, l.issuer_hios_id) IN (SELECT (id, issuer_hios_id) FROM present)
    GROUP BY ALL
),
seen AS (
    SELECT p.id, p.issuer_hios_id, p.rule, p.category, p.exchange_policy_id, p.exchange_member_id,
           p.k, p.as_of, p.run_id, p.values_hash, p.amount, p.recomputed,
           lag(p.k) OVER w AS prev_k,
           lag(p.values_hash) OVER w AS prev_hash,
           lag(p.amount) OVER w AS prev_amount,
           lead(p.k) OVER w AS next_k,
           coalesce(e.first_seen, min(p.as_of) OVER w) AS first_seen,
           coalesce(e.runs_seen, 0) + sum(p.recomputed::INTEGER) OVER w AS runs_seen,
           e.id IS NOT NULL AS seen_earlier
    FROM present p
    LEFT JOIN earlier e ON e.id = p.id AND e.issuer_hios_id = p.issuer_hios_id
    WINDOW w AS (PARTITION BY p.id, p.issuer_hios_id ORDER BY p.k)
)
SELECT run_id, id, issuer_hios_id, rule, category, exchange_policy_id, exchange_member_id,
       CASE WHEN prev_k IS NULL AND seen_earlier THEN 'reopened'
            WHEN prev_k IS NULL THEN 'new'
            WHEN prev_k < k - 1 THEN 'reopened'
            WHEN prev_hash = values_hash AND prev_amount IS NOT DISTINCT FROM amount THEN 'persisting'
            ELSE 'changed' END,
       first_seen, as_of, runs_seen
FROM seen
WHERE recomputed
UNION ALL
-- open at an issuer's date, absent at its next one
SELECT o.run_id, s.id, s.issuer_hios_id, s.rule, s.category, s.exchange_policy_id, s.exchange_member_id,
       'resolved', s.first_seen, s.as_of, s.runs_seen
FROM seen s
JOIN observation o ON o.issuer_hios_id = s.issuer_hios_id AND o.k = s.k + 1
WHERE s.next_k IS DISTINCT FROM s.k + 1
