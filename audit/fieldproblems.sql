-- One invalid_record finding per (row, field problem): a value that could
-- not be read in a field other than the keys. The row loaded with that field
-- empty; the finding says which file, line and field, and why.
-- fieldProblemsSQL gives each side's table, rows view and source file and
-- line expressions (Sides), the category's sort position (Order) and the
-- shown value of p (Value).
INSERT INTO findings BY NAME
WITH problems AS (
{{- range $n, $s := .Sides}}{{if $n}}
  UNION ALL{{end}}
  SELECT {{$s.Side}} AS side, issuer_hios_id, exchange_policy_id, exchange_member_id,
    coalesce(occurrence, 1) AS occurrence, {{$s.File}} AS source_file, {{$s.Line}} AS source_line, field_problems AS p
  FROM {{$s.Canon}} AS c WHERE field_problems IS NOT NULL AND reject_reasons IS NULL
    -- Only rows the audit covers: the rows view leaves out-of-scope issuers out.
    AND rowid IN (SELECT row_id FROM {{$s.Rows}})
{{- end}})
SELECT
  left(sha256(concat_ws('|', 'field-unreadable', side, coalesce(exchange_policy_id, ''), coalesce(exchange_member_id, ''),
    CAST(occurrence AS VARCHAR), p.field)), 16) AS id,
  {{.Order}} AS category_order,
  'field-unreadable' AS rule, 'invalid_record' AS category, 'medium' AS severity,
  issuer_hios_id, exchange_policy_id, exchange_member_id, occurrence AS segment, side,
  CASE WHEN side = 'marketplace' THEN MAP {p.field: {{.Value}}} END AS marketplace,
  CASE WHEN side = 'insurer' THEN MAP {p.field: {{.Value}}} END AS insurer,
  CAST(NULL AS DECIMAL(18,2)) AS amount,
  p.field || ' could not be read: ' || p.reason || '; the field is left empty and not compared' AS message,
  CASE WHEN side = 'marketplace' THEN source_file END AS m_file,
  CASE WHEN side = 'marketplace' THEN source_line END AS m_line,
  CASE WHEN side = 'insurer' THEN source_file END AS i_file,
  CASE WHEN side = 'insurer' THEN source_line END AS i_line
FROM (SELECT * EXCLUDE (p), unnest(p) AS p FROM problems)
