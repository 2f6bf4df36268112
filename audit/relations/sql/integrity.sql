-- The integrity figures (README "The integrity figure"): the live (effectuated
-- or pending, or of no readable status) marketplace policies in scope, which of them reached the
-- insurer intact, their people, and the dollars at stake. Run after the
-- findings are collected.
--
-- A policy is intact when the insurer has it, no finding of the categories
-- in .Categories concerns it or any of its members, and none of its rows was
-- rejected on either side. Marketplace policies whose every row was rejected
-- (so their status cannot be read) are counted, never intact: rejected rows
-- stay in the denominator. .Scope keeps the rejected rows of the issuers in
-- scope when the audit leaves some out.

CREATE OR REPLACE TEMP TABLE integrity_policies AS
WITH live AS (
  SELECT exchange_policy_id AS pol, coalesce(min(issuer_hios_id), '') AS issuer, coalesce(min(state), '') AS state, false AS unread
  FROM {{.MarketplaceRows}}
  WHERE is_policy_row AND (effectuation_status IN ('effectuated', 'pending') OR effectuation_status IS NULL)
  GROUP BY ALL
), unread AS (
  SELECT exchange_policy_id AS pol, coalesce(min(issuer_hios_id), '') AS issuer, coalesce(min(state), '') AS state, true AS unread
  FROM {{.MarketplaceCanon}} AS c
  WHERE reject_reasons IS NOT NULL AND exchange_policy_id IS NOT NULL{{with .Scope}} AND issuer_hios_id IN ({{.}}){{end}}
    AND NOT EXISTS (SELECT 1 FROM policy_keys AS k WHERE k.pol = c.exchange_policy_id AND k.mrow IS NOT NULL)
  GROUP BY ALL
), policies AS (
  SELECT * FROM live UNION ALL SELECT * FROM unread
), people AS (
  SELECT exchange_policy_id AS pol, count(DISTINCT exchange_member_id) AS people FROM (
    SELECT exchange_policy_id, exchange_member_id FROM {{.MarketplaceRows}}
    UNION ALL SELECT exchange_policy_id, exchange_member_id FROM {{.MarketplaceCanon}} WHERE reject_reasons IS NOT NULL
  ) AS r SEMI JOIN policies AS p ON p.pol = r.exchange_policy_id
  GROUP BY ALL
), at_insurer AS (
  SELECT DISTINCT pol FROM policy_keys WHERE irow IS NOT NULL
), broken AS (
  SELECT DISTINCT exchange_policy_id AS pol FROM {{.Findings}} WHERE category IN ({{.Categories}}) AND exchange_policy_id IS NOT NULL
)
SELECT p.pol, p.issuer, p.state, coalesce(n.people, 0) AS people,
  p.unread OR p.pol IN (SELECT exchange_policy_id FROM rejected_policies) AS rejected,
  NOT p.unread AND p.pol IN (SELECT pol FROM at_insurer) AND p.pol NOT IN (SELECT pol FROM broken)
    AND p.pol NOT IN (SELECT exchange_policy_id FROM rejected_policies) AS intact
FROM policies AS p LEFT JOIN people AS n USING (pol);

-- Each finding with an amount, with the months of its coverage year that
-- its record (the marketplace row, else the insurer row) covers: from the
-- later of benefit start and 1 January to the earlier of benefit end and 31
-- December, both months counted. A record without a benefit start or year
-- counts one month.
CREATE OR REPLACE TEMP TABLE integrity_dollars AS
WITH f AS (
  SELECT id, abs(amount) AS amount, coalesce(issuer_hios_id, '') AS issuer, exchange_policy_id AS pol, m_file, m_line, i_file, i_line
  FROM {{.Findings}} WHERE amount IS NOT NULL AND amount <> 0
), mr AS (
  SELECT source_file, source_line, coverage_year, benefit_start, benefit_end, state
  FROM {{.MarketplaceRows}} AS r SEMI JOIN f ON f.pol = r.exchange_policy_id
), ir AS (
  SELECT source_file, source_line, coverage_year, benefit_start, benefit_end, state
  FROM {{.InsurerRows}} AS r SEMI JOIN f ON f.pol = r.exchange_policy_id
), rec AS (
  SELECT f.id, f.amount, f.issuer, f.pol,
    CASE WHEN m.source_line IS NOT NULL THEN m.benefit_start ELSE i.benefit_start END AS bs,
    CASE WHEN m.source_line IS NOT NULL THEN m.benefit_end ELSE i.benefit_end END AS be,
    CASE WHEN m.source_line IS NOT NULL THEN m.coverage_year ELSE i.coverage_year END AS cy,
    CASE WHEN m.source_line IS NOT NULL THEN m.state ELSE i.state END AS state
  FROM f
  LEFT JOIN mr AS m ON m.source_file = f.m_file AND m.source_line = f.m_line
  LEFT JOIN ir AS i ON i.source_file = f.i_file AND i.source_line = f.i_line
  QUALIFY row_number() OVER (PARTITION BY f.id) = 1
), span AS (
  SELECT *, greatest(bs, make_date(y, 1, 1)) AS s, least(coalesce(be, make_date(y, 12, 31)), make_date(y, 12, 31)) AS e
  FROM (SELECT *, CAST(coalesce(cy, year(bs)) AS INTEGER) AS y FROM rec)
)
SELECT s.id, s.amount, s.issuer, coalesce(p.state, s.state, '') AS state,
  CASE WHEN s.bs IS NULL OR s.y IS NULL THEN 1
       WHEN s.e < s.s THEN 0
       ELSE (year(s.e) * 12 + month(s.e)) - (year(s.s) * 12 + month(s.s)) + 1 END AS months
FROM span AS s LEFT JOIN (SELECT DISTINCT pol, state FROM integrity_policies) AS p ON p.pol = s.pol;

-- The figures in total, per issuer and per state (grouping total, issuer,
-- state), amounts in cents.
{{define "integrity_figures"}}
WITH p AS (
  SELECT GROUPING(issuer, state) AS g, issuer, state, count(*) AS policies, count(*) FILTER (WHERE intact) AS policies_intact,
    sum(people) AS people, coalesce(sum(people) FILTER (WHERE intact), 0) AS people_intact,
    count(*) FILTER (WHERE rejected) AS policies_rejected
  FROM integrity_policies GROUP BY GROUPING SETS ((), (issuer), (state))
), d AS (
  SELECT GROUPING(issuer, state) AS g, issuer, state,
    CAST(sum(amount * months) * 100 AS BIGINT) AS dollars, CAST(sum(amount) * 100 AS BIGINT) AS monthly
  FROM integrity_dollars GROUP BY GROUPING SETS ((), (issuer), (state))
)
SELECT CASE coalesce(p.g, d.g) WHEN 3 THEN 'total' WHEN 1 THEN 'issuer' ELSE 'state' END AS grouping,
  coalesce(p.issuer, d.issuer, p.state, d.state, '') AS key,
  coalesce(p.policies, 0), coalesce(p.policies_intact, 0), coalesce(p.people, 0), coalesce(p.people_intact, 0),
  coalesce(p.policies_rejected, 0), coalesce(d.dollars, 0), coalesce(d.monthly, 0)
FROM p FULL JOIN d ON d.g = p.g AND d.issuer IS NOT DISTINCT FROM p.issuer AND d.state IS NOT DISTINCT FROM p.state
ORDER BY coalesce(p.g, d.g) DESC, key
{{end}}

-- Findings by state: a finding's state is its policy's (the marketplace's
-- policy row, else the insurer's; "" when neither has one); people are those
-- it touches (.Touched: one row per finding and member touched).
{{define "findings_by_state"}}
WITH pols AS (
  SELECT DISTINCT exchange_policy_id AS pol FROM {{.Findings}} WHERE exchange_policy_id IS NOT NULL
), st AS (
  SELECT pol, arg_min(state, side) AS state FROM (
    SELECT r.exchange_policy_id AS pol, r.state, 0 AS side FROM {{.MarketplaceRows}} AS r SEMI JOIN pols ON pols.pol = r.exchange_policy_id
    WHERE r.is_policy_row AND r.state IS NOT NULL
    UNION ALL
    SELECT r.exchange_policy_id, r.state, 1 FROM {{.InsurerRows}} AS r SEMI JOIN pols ON pols.pol = r.exchange_policy_id
    WHERE r.is_policy_row AND r.state IS NOT NULL)
  GROUP BY pol
), f AS (
  SELECT coalesce(st.state, '') AS state, count(*) AS findings, count(DISTINCT f.exchange_policy_id) AS policies,
    CAST(coalesce(sum(abs(f.amount)), 0) * 100 AS BIGINT) AS cents
  FROM {{.Findings}} AS f LEFT JOIN st ON st.pol = f.exchange_policy_id GROUP BY ALL
), ppl AS (
  SELECT coalesce(st.state, '') AS state, count(DISTINCT t.exchange_member_id) AS people
  FROM {{.Touched}} AS t LEFT JOIN st ON st.pol = t.exchange_policy_id GROUP BY ALL
)
SELECT f.state, f.findings, coalesce(ppl.people, 0), f.policies, f.cents FROM f LEFT JOIN ppl USING (state) ORDER BY f.state
{{end}}
