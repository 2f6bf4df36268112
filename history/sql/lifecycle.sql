-- Lifecycle rows of every run with as_of >= $1 (docs/history.md
-- "Lifecycle"), from the findings each issuer's runs saw, in as-of order.
INSERT INTO lifecycle
WITH present AS (
    SELECT f.id, f.issuer_hios_id, f.rule, f.category, f.exchange_policy_id, f.exchange_member_id, o.k, o.as_of, o.run_id, f.values_hash, f.monthly_amount_cents AS amount
    FROM finding f
    JOIN observation o ON o.run_id = f.run_id AND o.issuer_hios_id = f.issuer_hios_id
),
seen AS (
    SELECT *,
           lag(k) OVER w AS prev_k,
           lag(values_hash) OVER w AS prev_hash,
           lag(amount) OVER w AS prev_amount,
           lead(k) OVER w AS next_k,
           min(as_of) OVER w AS first_seen,
           row_number() OVER w AS runs_seen
    FROM present
    WINDOW w AS (PARTITION BY id, issuer_hios_id ORDER BY k)
),
statuses AS (
    SELECT run_id, id, issuer_hios_id, rule, category, exchange_policy_id, exchange_member_id,
           CASE WHEN prev_k IS NULL THEN 'new'
                WHEN prev_k < k - 1 THEN 'reopened'
                WHEN prev_hash = values_hash AND prev_amount IS NOT DISTINCT FROM amount THEN 'persisting'
                ELSE 'changed' END AS status,
           first_seen, as_of AS last_seen, runs_seen
    FROM seen
    UNION ALL
    -- open at an issuer's date, absent at its next one
    SELECT o.run_id, s.id, s.issuer_hios_id, s.rule, s.category, s.exchange_policy_id, s.exchange_member_id, 'resolved', s.first_seen, s.as_of, s.runs_seen
    FROM seen s
    JOIN observation o ON o.issuer_hios_id = s.issuer_hios_id AND o.k = s.k + 1
    WHERE s.next_k IS DISTINCT FROM s.k + 1
    UNION ALL
    -- open in the previous run, for an issuer this run did not cover
    SELECT p.run_id, s.id, s.issuer_hios_id, s.rule, s.category, s.exchange_policy_id, s.exchange_member_id, 'not_evaluated', s.first_seen, s.as_of, s.runs_seen
    FROM run_previous p
    JOIN seen s ON s.run_id = p.previous_run_id
    WHERE NOT EXISTS (SELECT 1 FROM run_scope rs WHERE rs.run_id = p.run_id AND rs.issuer_hios_id = s.issuer_hios_id)
)
SELECT run_id, id, issuer_hios_id, rule, category, exchange_policy_id, exchange_member_id, status, first_seen, last_seen, runs_seen
FROM statuses
WHERE run_id IN (SELECT run_id FROM run WHERE as_of >= $1)
