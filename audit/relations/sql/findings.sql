-- The findings of a run: each rule batch inserts into the raw table, whose
-- columns are canonical.FindingColumns; the findings table adds each
-- finding's stable id (a hash of what identifies it, so it stays the same
-- from one week's run to the next) and its category's place in the report.
{{define "raw"}}CREATE OR REPLACE TEMP TABLE {{.Raw}} ({{.Columns}});{{end}}

{{define "collect"}}CREATE OR REPLACE TABLE {{.Findings}} AS
SELECT left(sha256(concat_ws('|', f.rule, coalesce(f.side, ''), coalesce(f.exchange_policy_id, ''), coalesce(f.exchange_member_id, ''), CAST(f.segment AS VARCHAR))), 16) AS id,
  CASE f.category {{.CategoryOrder}} END AS category_order, f.* REPLACE (f.message || coalesce(n.note, '') AS message)
FROM {{.Raw}} AS f
-- Missing and unknown records identity matching found several candidates for.
LEFT JOIN identity_notes AS n ON n.category = f.category AND n.pol = f.exchange_policy_id AND n.mem IS NOT DISTINCT FROM f.exchange_member_id;{{end}}
