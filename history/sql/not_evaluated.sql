-- not_evaluated rows of every run with as_of >= $1: the findings open in
-- its previous run for issuers outside its scope (after lifecycle.sql,
-- which gives the runs from $1 on their open rows).
INSERT INTO lifecycle
SELECT p.run_id, l.id, l.issuer_hios_id, l.rule, l.category, l.exchange_policy_id, l.exchange_member_id,
       'not_evaluated', l.first_seen, l.last_seen, l.runs_seen
FROM run_previous p
JOIN run r ON r.run_id = p.run_id AND r.as_of >= $1
JOIN lifecycle l ON l.run_id = p.previous_run_id AND l.status IN ('new', 'persisting', 'changed', 'reopened')
WHERE NOT EXISTS (SELECT 1 FROM run_scope rs WHERE rs.run_id = p.run_id AND rs.issuer_hios_id = l.issuer_hios_id)
