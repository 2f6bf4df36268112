-- The flags of one side's rows, set only on the rows that need them:
--   - keys (policy, member) with more than one row get each row's
--     occurrence (by start), and duplicate_of when a row's coverage overlaps
--     an earlier live row of the key (a cancelled row covers nothing);
--   - members on more than one live policy get overlapping_policy_id where
--     coverage overlaps (reported on the policy sorting last);
--   - policies without exactly one subscriber-indicator row get policy_row
--     on every row, true for the subscriber's (by indicator, relationship or
--     own ID), live, latest segment, first in the file. A policy with
--     exactly one such row needs nothing: that row ranks first anyway.

-- Members with more than one row: the only ones that can repeat a key or
-- sit on several policies. One aggregate over every row finds them; the
-- rest looks at their rows only.
CREATE OR REPLACE TEMP TABLE repeated_{{.Side}} AS
SELECT exchange_member_id, count(*) AS n FROM {{.Canon}} WHERE reject_reasons IS NULL GROUP BY ALL HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE multi_{{.Side}} AS
SELECT c.exchange_policy_id, c.exchange_member_id FROM {{.Canon}} AS c
SEMI JOIN repeated_{{.Side}} AS r ON r.exchange_member_id = c.exchange_member_id
WHERE c.reject_reasons IS NULL GROUP BY ALL HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE flags_{{.Side}} AS
WITH base AS NOT MATERIALIZED (
  SELECT row_id, exchange_policy_id, exchange_member_id, exchange_subscriber_id, benefit_start, benefit_end,
    effectuation_status, subscriber_indicator, relationship_code, source_file, source_line,
    effectuation_status IS DISTINCT FROM 'cancelled' AS live
  FROM {{.Rows}}
), ranked AS (
  SELECT b.row_id, b.live, b.benefit_start,
    row_number() OVER w AS occurrence,
    max(CASE WHEN b.live THEN coalesce(b.benefit_end, DATE '9999-12-31') END) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
    first_value(b.source_file) OVER w AS first_file,
    first_value(b.source_line) OVER w AS first_line
  FROM base AS b SEMI JOIN multi_{{.Side}} AS x ON x.exchange_policy_id = b.exchange_policy_id AND x.exchange_member_id = b.exchange_member_id
  WINDOW w AS (PARTITION BY b.exchange_policy_id, b.exchange_member_id ORDER BY b.benefit_start NULLS LAST, b.source_file, b.source_line)
), candidates AS (
  -- The join below keeps pairs of rows on different policies. It grows
  -- with the square of a member's rows: an ID on thousands of rows is not
  -- one person's (crowded.sql warns about them).
  SELECT b.* FROM base AS b
  SEMI JOIN (SELECT exchange_member_id FROM repeated_{{.Side}} WHERE n <= {{.MaxMemberRows}}) AS x
    ON x.exchange_member_id = b.exchange_member_id
  WHERE b.live
), overlapping AS (
  SELECT a.row_id, min(b.exchange_policy_id) AS overlapping_policy_id
  FROM candidates AS a JOIN candidates AS b
    ON a.exchange_member_id = b.exchange_member_id AND a.exchange_policy_id > b.exchange_policy_id
  WHERE coalesce(a.benefit_start, DATE '0001-01-01') <= coalesce(b.benefit_end, DATE '9999-12-31')
    AND coalesce(b.benefit_start, DATE '0001-01-01') <= coalesce(a.benefit_end, DATE '9999-12-31')
  GROUP BY a.row_id
), unclear AS (
  SELECT exchange_policy_id FROM base GROUP BY 1 HAVING count(*) FILTER (WHERE subscriber_indicator = 'Y') <> 1
), unclear_rows AS (
  SELECT b.* FROM base AS b SEMI JOIN unclear AS u ON u.exchange_policy_id = b.exchange_policy_id
), reps AS (
  SELECT arg_min(row_id, {
      s: NOT coalesce(subscriber_indicator = 'Y', false), r: NOT coalesce(relationship_code = '18', false),
      o: NOT coalesce(exchange_member_id = exchange_subscriber_id, false), l: NOT live,
      b: -coalesce(epoch(benefit_start), -1e12), f: source_file, n: source_line}) AS row_id
  FROM unclear_rows GROUP BY exchange_policy_id
)
SELECT row_id, max(occurrence) AS occurrence, max(duplicate_of) AS duplicate_of,
  max(overlapping_policy_id) AS overlapping_policy_id, bool_or(policy_row) AS policy_row
FROM (
  SELECT row_id, occurrence, CASE WHEN live AND prev_end >= coalesce(benefit_start, DATE '0001-01-01') THEN first_file || ':' || first_line END AS duplicate_of,
    NULL AS overlapping_policy_id, NULL AS policy_row FROM ranked
  UNION ALL SELECT row_id, NULL, NULL, overlapping_policy_id, NULL FROM overlapping
  UNION ALL SELECT u.row_id, NULL, NULL, NULL, r.row_id IS NOT NULL FROM unclear_rows AS u LEFT JOIN reps AS r ON r.row_id = u.row_id
) GROUP BY row_id;

UPDATE {{.Canon}} AS c SET occurrence = f.occurrence, duplicate_of = f.duplicate_of,
  overlapping_policy_id = f.overlapping_policy_id, policy_row = f.policy_row
FROM flags_{{.Side}} AS f WHERE c.rowid = f.row_id;
