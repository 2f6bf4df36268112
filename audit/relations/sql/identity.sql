-- Identity matching (README "How records are matched"): after the keys,
-- the people left on one side only are matched, within one issuer, by the
-- tiers in order (.Tiers: the same exchange_member_id under another policy
-- ID; the same SSN and birth date; the same last name, first name and birth
-- date). Only a one-to-one candidate is taken; an ambiguous one stays
-- missing/unknown with a note naming the candidates' count. Everything here
-- is sized by the one-sided records, a small fraction of the keys: the rows
-- views are only read for their row ids.

-- Each one-sided member pair's row, with what identifies its person.
CREATE OR REPLACE TEMP TABLE lone_rows AS
WITH k AS MATERIALIZED (
  -- With --match keys (no tiers) nothing is read: the tables stay empty.
  SELECT pair_id, mrow, irow, segment FROM {{.MemberKeys}} WHERE NOT (marketplace_has_member AND insurer_has_member){{if not .Tiers}} AND false{{end}}
)
SELECT 'm' AS side, k.pair_id, k.segment, r.row_id, r.issuer_hios_id AS issuer, r.exchange_policy_id AS pol, r.exchange_member_id AS mem,
  r.ssn, r.birth_date, lower(strip_accents(r.last_name)) AS last_name, lower(strip_accents(r.first_name)) AS first_name,
  left(r.zip, 5) AS zip, r.benefit_start, r.source_file, r.source_line
FROM k JOIN {{.MarketplaceRows}} AS r ON r.row_id = k.mrow
UNION ALL
SELECT 'i', k.pair_id, k.segment, r.row_id, r.issuer_hios_id, r.exchange_policy_id, r.exchange_member_id,
  r.ssn, r.birth_date, lower(strip_accents(r.last_name)), lower(strip_accents(r.first_name)),
  left(r.zip, 5), r.benefit_start, r.source_file, r.source_line
FROM k JOIN {{.InsurerRows}} AS r ON r.row_id = k.irow;

-- The people those rows belong to: (side, policy, member).
CREATE OR REPLACE TEMP TABLE lone_people AS
SELECT side, pol, mem, any_value(issuer) AS issuer, min(ssn) AS ssn, min(birth_date) AS birth_date,
  min(last_name) AS last_name, min(first_name) AS first_name, min(zip) AS zip
FROM lone_rows GROUP BY side, pol, mem;

-- People matched so (tier: the position of the method in .Tiers), and the
-- people a tier found several candidates for.
CREATE OR REPLACE TEMP TABLE identity_people (issuer VARCHAR, m_pol VARCHAR, m_mem VARCHAR, i_pol VARCHAR, i_mem VARCHAR, method VARCHAR, tier INTEGER);
CREATE OR REPLACE TEMP TABLE identity_taken (side VARCHAR, pol VARCHAR, mem VARCHAR);
CREATE OR REPLACE TEMP TABLE identity_ambiguous (side VARCHAR, pol VARCHAR, mem VARCHAR, nm BIGINT, ni BIGINT, method VARCHAR, tier INTEGER);

{{range $n, $t := .Tiers}}
CREATE OR REPLACE TEMP TABLE identity_tier AS
SELECT p.side, p.pol, p.mem, p.issuer, p.ssn, p.zip, {{$t.Key}} AS k FROM lone_people AS p
ANTI JOIN identity_taken AS x ON x.side = p.side AND x.pol = p.pol AND x.mem = p.mem
WHERE p.issuer IS NOT NULL AND {{$t.Known}};

-- Each marketplace person with each insurer person sharing the key (and,
-- where the tier has one, passing its test of the two: .Compatible over m
-- and i), with how many candidates each of the two has: ni for the
-- marketplace person, nm for the insurer one.
CREATE OR REPLACE TEMP TABLE identity_candidates AS
WITH c AS (
  SELECT m.issuer, m.pol AS m_pol, m.mem AS m_mem, i.pol AS i_pol, i.mem AS i_mem
  FROM identity_tier AS m JOIN identity_tier AS i ON i.issuer = m.issuer AND i.k = m.k AND i.side = 'i'
  WHERE m.side = 'm'{{if $t.Compatible}} AND ({{$t.Compatible}}){{end}}
)
SELECT *, count(*) OVER (PARTITION BY m_pol, m_mem) AS ni, count(*) OVER (PARTITION BY i_pol, i_mem) AS nm FROM c;

INSERT INTO identity_people
SELECT issuer, m_pol, m_mem, i_pol, i_mem, '{{$t.Method}}', {{$n}} FROM identity_candidates WHERE nm = 1 AND ni = 1;

-- A person with several candidates, or whose candidate has several: how
-- many records of each side are in play (without a test of the two, how
-- many share the key).
INSERT INTO identity_ambiguous
SELECT 'm', m_pol, m_mem, max(nm), any_value(ni), '{{$t.Method}}', {{$n}} FROM identity_candidates WHERE nm > 1 OR ni > 1 GROUP BY m_pol, m_mem
UNION ALL
SELECT 'i', i_pol, i_mem, any_value(nm), max(ni), '{{$t.Method}}', {{$n}} FROM identity_candidates WHERE nm > 1 OR ni > 1 GROUP BY i_pol, i_mem;

INSERT INTO identity_taken
SELECT 'm', m_pol, m_mem FROM identity_people WHERE tier = {{$n}} UNION ALL SELECT 'i', i_pol, i_mem FROM identity_people WHERE tier = {{$n}};
{{end}}

-- A whole policy keyed under another policy ID: each side's policy lacking
-- on the other, and its matched people linking it to that one policy only.
-- The two policies pair as one; the policy grain method is the first tier
-- that linked them.
CREATE OR REPLACE TEMP TABLE identity_policies AS
WITH links AS (
  SELECT issuer, m_pol, i_pol, min(tier) AS tier FROM identity_people WHERE m_pol <> i_pol GROUP BY ALL
), single AS (
  SELECT * FROM links
  WHERE m_pol IN (SELECT m_pol FROM links GROUP BY m_pol HAVING count(*) = 1)
    AND i_pol IN (SELECT i_pol FROM links GROUP BY i_pol HAVING count(*) = 1)
)
SELECT s.issuer, s.m_pol, s.i_pol, p.method, mk.pair_id AS m_pair, ik.irow
FROM single AS s
JOIN (SELECT DISTINCT tier, method FROM identity_people) AS p ON p.tier = s.tier
JOIN {{.PolicyKeys}} AS mk ON mk.pol = s.m_pol AND mk.irow IS NULL AND NOT mk.insurer_has_policy
JOIN {{.PolicyKeys}} AS ik ON ik.pol = s.i_pol AND ik.mrow IS NULL AND NOT ik.marketplace_has_policy;

-- The matched people's rows pair in order of benefit start; rows left over
-- stay one-sided segments of a person both sides have.
CREATE OR REPLACE TEMP TABLE identity_rows AS
WITH numbered AS (
  SELECT l.*, row_number() OVER (PARTITION BY side, pol, mem ORDER BY benefit_start NULLS LAST, row_id) AS o FROM lone_rows AS l
  SEMI JOIN identity_taken AS t ON t.side = l.side AND t.pol = l.pol AND t.mem = l.mem
)
SELECT p.m_pol, p.m_mem, p.i_pol, p.i_mem, m.pair_id AS m_pair, i.pair_id AS i_pair, m.row_id AS mrow, i.row_id AS irow
FROM identity_people AS p
JOIN numbered AS m ON m.side = 'm' AND m.pol = p.m_pol AND m.mem = p.m_mem
JOIN numbered AS i ON i.side = 'i' AND i.pol = p.i_pol AND i.mem = p.i_mem AND i.o = m.o;

-- Every row of a matched person: both sides have the member.
UPDATE {{.MemberKeys}} SET marketplace_has_member = true, insurer_has_member = true
WHERE pair_id IN (SELECT l.pair_id FROM lone_rows AS l SEMI JOIN identity_taken AS t ON t.side = l.side AND t.pol = l.pol AND t.mem = l.mem);

-- Every row of a paired policy: both sides have the policy.
UPDATE {{.MemberKeys}} SET marketplace_has_policy = true, insurer_has_policy = true
WHERE pair_id IN (SELECT l.pair_id FROM lone_rows AS l JOIN identity_policies AS p
  ON (l.side = 'm' AND l.pol = p.m_pol) OR (l.side = 'i' AND l.pol = p.i_pol));

-- The marketplace's pair takes the insurer's row; the insurer's goes.
UPDATE {{.MemberKeys}} AS k SET irow = r.irow FROM identity_rows AS r WHERE k.pair_id = r.m_pair;
DELETE FROM {{.MemberKeys}} WHERE pair_id IN (SELECT i_pair FROM identity_rows);

UPDATE {{.PolicyKeys}} AS k SET irow = p.irow, insurer_has_policy = true FROM identity_policies AS p WHERE k.pair_id = p.m_pair;
DELETE FROM {{.PolicyKeys}} WHERE pol IN (SELECT i_pol FROM identity_policies) AND mrow IS NULL;

-- Notes for the missing and unknown findings of people left unmatched with
-- several candidates (the first tier that found any: how many records of
-- each side share the key), and for their policies' findings.
CREATE OR REPLACE TEMP TABLE identity_notes AS
WITH left_over AS (
  SELECT arg_min({side: a.side, pol: a.pol, mem: a.mem, nm: a.nm, ni: a.ni, method: a.method}, a.tier) AS n
  FROM identity_ambiguous AS a
  ANTI JOIN identity_taken AS t ON t.side = a.side AND t.pol = a.pol AND t.mem = a.mem
  GROUP BY a.side, a.pol, a.mem
), people AS (
  SELECT n.side, n.pol, n.mem, '. Not matched by identity: ' || n.nm || ' marketplace and ' || n.ni ||
    ' insurer records have ' || {{call .Label "n.method"}} AS note
  FROM left_over
)
SELECT CASE side WHEN 'm' THEN 'missing_enrollment' ELSE 'unknown_enrollment' END AS category, pol, mem, note FROM people
UNION ALL
SELECT CASE side WHEN 'm' THEN 'missing_enrollment' ELSE 'unknown_enrollment' END, pol, NULL,
  '. Not matched by identity: several candidates for ' || count(*) || ' of its members'
FROM people GROUP BY side, pol;

{{define "identity_findings"}}
-- One wrong_identifiers finding per policy paired under two policy IDs and
-- per person matched under other IDs (but for the members of such a policy
-- whose member ID is the same: the policy's finding says it). Keyed on the
-- marketplace's IDs, so their ids stay the same from week to week.
INSERT INTO {{.Raw}} BY NAME
SELECT '{{.PolicyRule}}' AS rule, 'wrong_identifiers' AS category, 'medium' AS severity,
  p.issuer AS issuer_hios_id, p.m_pol AS exchange_policy_id, CAST(NULL AS VARCHAR) AS exchange_member_id, 0 AS segment,
  MAP {'exchange_policy_id': p.m_pol} AS marketplace, MAP {'exchange_policy_id': p.i_pol} AS insurer,
  'the insurer has this policy under exchange policy ID ' || p.i_pol || ' (matched by ' || {{call .Label "p.method"}} || ')' AS message,
  m.source_file AS m_file, m.source_line AS m_line, i.source_file AS i_file, i.source_line AS i_line, p.method AS match_method
FROM identity_policies AS p
JOIN {{.PolicyKeys}} AS k ON k.pair_id = p.m_pair
LEFT JOIN lone_rows AS m ON m.side = 'm' AND m.row_id = k.mrow
LEFT JOIN lone_rows AS i ON i.side = 'i' AND i.row_id = k.irow;

INSERT INTO {{.Raw}} BY NAME
WITH firsts AS (
  SELECT p.*, min(r.mrow) AS mrow, min(r.irow) AS irow FROM identity_people AS p
  LEFT JOIN identity_rows AS r ON r.m_pol = p.m_pol AND r.m_mem = p.m_mem
  ANTI JOIN identity_policies AS x ON x.m_pol = p.m_pol AND x.i_pol = p.i_pol AND p.m_mem = p.i_mem
  GROUP BY ALL
)
SELECT '{{.MemberRule}}' AS rule, 'wrong_identifiers' AS category, 'medium' AS severity,
  p.issuer AS issuer_hios_id, p.m_pol AS exchange_policy_id, p.m_mem AS exchange_member_id, coalesce(m.segment, 1) AS segment,
  MAP {'exchange_policy_id': p.m_pol, 'exchange_member_id': p.m_mem} AS marketplace,
  MAP {'exchange_policy_id': p.i_pol, 'exchange_member_id': p.i_mem} AS insurer,
  'the insurer has this member under ' ||
    CASE WHEN p.m_pol <> p.i_pol THEN 'exchange policy ID ' || p.i_pol || CASE WHEN p.m_mem <> p.i_mem THEN ' and ' ELSE '' END ELSE '' END ||
    CASE WHEN p.m_mem <> p.i_mem THEN 'exchange member ID ' || p.i_mem ELSE '' END ||
    ' (matched by ' || {{call .Label "p.method"}} || ')' AS message,
  m.source_file AS m_file, m.source_line AS m_line, i.source_file AS i_file, i.source_line AS i_line, p.method AS match_method
FROM firsts AS p
LEFT JOIN lone_rows AS m ON m.side = 'm' AND m.row_id = p.mrow
LEFT JOIN lone_rows AS i ON i.side = 'i' AND i.row_id = p.irow;
{{end}}
