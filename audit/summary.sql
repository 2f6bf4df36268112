-- The report's summary figures over a findings relation ({{.Findings}}:
-- the run's findings, or one issuer's for its packet).

-- The people each finding touches: its member, or every member (in either
-- file, rejected rows included) of its policy for a policy-level finding.
{{define "touched"}}CREATE OR REPLACE TEMP TABLE touched AS
WITH policies AS (
  SELECT DISTINCT exchange_policy_id FROM {{.Findings}} WHERE exchange_member_id IS NULL
), members AS (
  SELECT DISTINCT exchange_policy_id, exchange_member_id FROM (
    SELECT exchange_policy_id, exchange_member_id FROM canon_marketplace
    UNION ALL SELECT exchange_policy_id, exchange_member_id FROM canon_insurer
  ) AS c SEMI JOIN policies AS p USING (exchange_policy_id)
)
SELECT f.id, f.category, f.issuer_hios_id, f.exchange_policy_id, f.exchange_member_id FROM {{.Findings}} f WHERE f.exchange_member_id IS NOT NULL
UNION ALL
SELECT f.id, f.category, f.issuer_hios_id, f.exchange_policy_id, m.exchange_member_id
FROM {{.Findings}} f JOIN members m USING (exchange_policy_id) WHERE f.exchange_member_id IS NULL{{end}}

-- Each category's policies, people and dollars (absolute and net, in cents).
{{define "categories"}}WITH money AS (
  SELECT category, count(DISTINCT exchange_policy_id) AS policies, CAST(coalesce(sum(abs(amount)), 0) * 100 AS BIGINT) AS abs_cents,
         CAST(coalesce(sum(amount), 0) * 100 AS BIGINT) AS net_cents
  FROM {{.Findings}} GROUP BY category
), people AS (SELECT category, count(DISTINCT exchange_member_id) AS people FROM touched GROUP BY category)
SELECT money.category, money.policies, coalesce(people.people, 0), money.abs_cents, money.net_cents FROM money LEFT JOIN people USING (category){{end}}

-- Each issuer's findings, policies, people and dollars (in cents); '' for
-- findings without an issuer.
{{define "issuers"}}WITH per AS (
  SELECT coalesce(issuer_hios_id, '') AS issuer, count(*) AS findings, count(DISTINCT exchange_policy_id) AS policies,
         CAST(coalesce(sum(abs(amount)), 0) * 100 AS BIGINT) AS cents
  FROM {{.Findings}} GROUP BY ALL
), ppl AS (SELECT coalesce(issuer_hios_id, '') AS issuer, count(DISTINCT exchange_member_id) AS people FROM touched GROUP BY ALL)
SELECT per.issuer, per.findings, per.policies, coalesce(ppl.people, 0), per.cents FROM per LEFT JOIN ppl USING (issuer) ORDER BY per.issuer{{end}}
