-- The findings of a run: each rule batch inserts into the raw table, whose
-- columns are canonical.FindingColumns; the findings table adds each
-- finding's stable id (a hash of what identifies it, so it stays the same
-- from one week's run to the next) and its category's place in the report.
{{define "raw"}}CREATE OR REPLACE TEMP TABLE {{.Raw}} ({{.Columns}});{{end}}

{{define "collect"}}CREATE OR REPLACE TABLE {{.Findings}} AS
SELECT left(sha256(concat_ws('|', rule, coalesce(side, ''), coalesce(exchange_policy_id, ''), coalesce(exchange_member_id, ''), CAST(segment AS VARCHAR))), 16) AS id,
  CASE category {{.CategoryOrder}} END AS category_order, *
FROM {{.Raw}};{{end}}
