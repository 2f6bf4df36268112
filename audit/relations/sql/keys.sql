-- Pairs the two sides' rows: policy_keys the rows that speak for each
-- policy, member_keys each member's coverage segments. Members with a
-- rejected row on either side are not paired: they are accounted for in
-- the rejects. Keys with one row a side (nearly all) pair in one join; the
-- others pair segment by segment, first on equal benefit start, then in
-- order, with duplicates left out so a repeated row is reported once as a
-- duplicate and never multiplies through the join. pair_id is the
-- marketplace row's id, or the insurer row's offset past any marketplace id.

-- A line that could not be split into fields (a stray quote, a short row)
-- still names its member: the keys of the other side's rows whose policy
-- and member IDs both stand as fields of one rejected line are taken as
-- that line's keys, so the member is accounted for in the rejects rather
-- than reported missing. Fields are split on every usual delimiter (the
-- semicolon as chr(59): statements here are split on it); the
-- rejected lines are few, so both joins probe small tables.
CREATE OR REPLACE TEMP TABLE reject_fields AS
SELECT DISTINCT side, reject_id, f FROM (
  SELECT side, reject_id, trim(f, ' "' || chr(13)) AS f FROM (
    SELECT side, rowid AS reject_id, unnest(regexp_split_to_array(raw, '[,|\t' || chr(59) || ']')) AS f FROM {{.Rejects}} WHERE raw IS NOT NULL))
WHERE f <> '';

CREATE OR REPLACE TEMP TABLE rejected_lines AS
SELECT DISTINCT x.side, r.exchange_policy_id, r.exchange_member_id FROM (
  SELECT 'insurer' AS side, exchange_policy_id, exchange_member_id FROM {{.MarketplaceRows}}
  UNION ALL SELECT 'marketplace', exchange_policy_id, exchange_member_id FROM {{.InsurerRows}}) AS r
JOIN reject_fields AS x ON x.f = r.exchange_member_id AND x.side = r.side
JOIN reject_fields AS y ON y.reject_id = x.reject_id AND y.f = r.exchange_policy_id;

CREATE OR REPLACE TEMP TABLE rejected_keys AS
SELECT DISTINCT exchange_policy_id, exchange_member_id FROM (
  SELECT exchange_policy_id, exchange_member_id FROM {{.MarketplaceCanon}} WHERE reject_reasons IS NOT NULL
  UNION ALL SELECT exchange_policy_id, exchange_member_id FROM {{.InsurerCanon}} WHERE reject_reasons IS NOT NULL
  UNION ALL SELECT exchange_policy_id, exchange_member_id FROM rejected_lines);

-- A policy whose rows were all rejected on one side is not "missing" there.
CREATE OR REPLACE TEMP TABLE rejected_policies AS
SELECT exchange_policy_id, bool_or(side = 'marketplace') AS in_m, bool_or(side = 'insurer') AS in_i FROM (
  SELECT 'marketplace' AS side, exchange_policy_id FROM {{.MarketplaceCanon}} WHERE reject_reasons IS NOT NULL
  UNION ALL SELECT 'insurer', exchange_policy_id FROM {{.InsurerCanon}} WHERE reject_reasons IS NOT NULL
  UNION ALL SELECT side, exchange_policy_id FROM rejected_lines)
WHERE exchange_policy_id IS NOT NULL GROUP BY ALL;

CREATE OR REPLACE TABLE policy_keys AS
WITH m AS (SELECT row_id, exchange_policy_id, issuer_hios_id FROM {{.MarketplaceRows}} WHERE is_policy_row),
     i AS (SELECT row_id, exchange_policy_id, issuer_hios_id FROM {{.InsurerRows}} WHERE is_policy_row)
SELECT coalesce(m.row_id, (CAST(1 AS BIGINT) << 40) + i.row_id) AS pair_id, m.row_id AS mrow, i.row_id AS irow,
  coalesce(m.exchange_policy_id, i.exchange_policy_id) AS pol, coalesce(m.issuer_hios_id, i.issuer_hios_id) AS issuer_hios_id,
  m.row_id IS NOT NULL OR coalesce(r.in_m, false) AS marketplace_has_policy,
  i.row_id IS NOT NULL OR coalesce(r.in_i, false) AS insurer_has_policy
FROM m FULL JOIN i ON m.exchange_policy_id = i.exchange_policy_id
LEFT JOIN rejected_policies AS r ON r.exchange_policy_id = coalesce(m.exchange_policy_id, i.exchange_policy_id);

-- The policies one side lacks: few, so member pairs look them up in a
-- small table rather than joining every pair to every policy.
CREATE OR REPLACE TEMP TABLE lacking_policies AS
SELECT pol, NOT marketplace_has_policy AS m_lacks, NOT insurer_has_policy AS i_lacks
FROM policy_keys WHERE NOT (marketplace_has_policy AND insurer_has_policy);

CREATE OR REPLACE TEMP TABLE segmented_keys AS
SELECT exchange_policy_id, exchange_member_id FROM multi_marketplace UNION SELECT exchange_policy_id, exchange_member_id FROM multi_insurer;

CREATE OR REPLACE TEMP TABLE unpaired_keys AS
SELECT exchange_policy_id, exchange_member_id FROM segmented_keys UNION SELECT exchange_policy_id, exchange_member_id FROM rejected_keys;

-- Each side's rows of keys paired segment by segment, k numbering the rows
-- of one start (live first).
{{range $side := .Segmented}}
CREATE OR REPLACE TEMP TABLE {{$side.Name}} AS
SELECT c.row_id, c.exchange_policy_id AS pol, c.exchange_member_id AS mem, c.benefit_start AS bs,
  row_number() OVER (PARTITION BY c.exchange_policy_id, c.exchange_member_id, c.benefit_start
                     ORDER BY c.effectuation_status IS DISTINCT FROM 'cancelled' DESC, c.source_file, c.source_line) AS k
FROM {{$side.Rows}} AS c
SEMI JOIN segmented_keys AS s ON s.exchange_policy_id = c.exchange_policy_id AND s.exchange_member_id = c.exchange_member_id
ANTI JOIN rejected_keys AS x ON x.exchange_policy_id = c.exchange_policy_id AND x.exchange_member_id = c.exchange_member_id
WHERE c.duplicate_of IS NULL;
{{end}}

CREATE OR REPLACE TABLE member_keys AS
WITH exact AS (
  SELECT m.row_id AS mrow, i.row_id AS irow FROM mk AS m JOIN ik AS i
    ON m.pol = i.pol AND m.mem = i.mem AND m.bs = i.bs AND m.k = i.k
), lm AS (
  SELECT *, row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, row_id) AS o
  FROM mk ANTI JOIN exact ON mk.row_id = exact.mrow
), li AS (
  SELECT *, row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, row_id) AS o
  FROM ik ANTI JOIN exact ON ik.row_id = exact.irow
), segmented AS (
  SELECT mrow, irow, pol,
    row_number() OVER (PARTITION BY pol, mem ORDER BY bs NULLS LAST, coalesce(mrow, irow)) AS segment,
    bool_or(mrow IS NOT NULL) OVER (PARTITION BY pol, mem) AS m_has, bool_or(irow IS NOT NULL) OVER (PARTITION BY pol, mem) AS i_has
  FROM (
    SELECT e.mrow, e.irow, m.pol, m.mem, m.bs FROM exact AS e JOIN mk AS m ON m.row_id = e.mrow
    UNION ALL
    SELECT lm.row_id, li.row_id, coalesce(lm.pol, li.pol), coalesce(lm.mem, li.mem), coalesce(lm.bs, li.bs)
    FROM lm FULL JOIN li ON lm.pol = li.pol AND lm.mem = li.mem AND lm.o = li.o)
), m AS (
  SELECT row_id, exchange_policy_id, exchange_member_id FROM {{.MarketplaceRows}} AS c
  ANTI JOIN unpaired_keys AS x ON x.exchange_policy_id = c.exchange_policy_id AND x.exchange_member_id = c.exchange_member_id
), i AS (
  SELECT row_id, exchange_policy_id, exchange_member_id FROM {{.InsurerRows}} AS c
  ANTI JOIN unpaired_keys AS x ON x.exchange_policy_id = c.exchange_policy_id AND x.exchange_member_id = c.exchange_member_id
), paired AS (
  SELECT m.row_id AS mrow, i.row_id AS irow, coalesce(m.exchange_policy_id, i.exchange_policy_id) AS pol,
    CAST(1 AS BIGINT) AS segment, m.row_id IS NOT NULL AS m_has, i.row_id IS NOT NULL AS i_has
  FROM m FULL JOIN i ON m.exchange_policy_id = i.exchange_policy_id AND m.exchange_member_id = i.exchange_member_id
  UNION ALL SELECT * FROM segmented
)
SELECT coalesce(p.mrow, (CAST(1 AS BIGINT) << 40) + p.irow) AS pair_id, p.mrow, p.irow, p.segment,
  NOT coalesce(l.m_lacks, false) AS marketplace_has_policy, NOT coalesce(l.i_lacks, false) AS insurer_has_policy,
  p.m_has AS marketplace_has_member, p.i_has AS insurer_has_member
FROM paired AS p LEFT JOIN lacking_policies AS l ON l.pol = p.pol;

CREATE OR REPLACE VIEW {{.MemberPairs}} AS {{.MemberPairsSelect}};

CREATE OR REPLACE VIEW {{.PolicyPairs}} AS {{.PolicyPairsSelect}};
