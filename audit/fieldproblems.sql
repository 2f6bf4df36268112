-- One invalid_record finding per (row, field problem): a value that could
-- not be read in a field other than the keys. The row loaded with that field
-- empty; the finding says which file, line and field, and why.
-- fieldProblemsSQL fills in the placeholders in double braces: rows (both
-- sides' rows with problems), order (the category's sort position) and value
-- (the shown value of p).
INSERT INTO findings BY NAME
WITH problems AS ({{rows}})
SELECT
  left(sha256(concat_ws('|', 'field-unreadable', side, coalesce(exchange_policy_id, ''), coalesce(exchange_member_id, ''),
    CAST(occurrence AS VARCHAR), p.field)), 16) AS id,
  {{order}} AS category_order,
  'field-unreadable' AS rule, 'invalid_record' AS category, 'medium' AS severity,
  issuer_hios_id, exchange_policy_id, exchange_member_id, occurrence AS segment, side,
  CASE WHEN side = 'marketplace' THEN MAP {p.field: {{value}}} END AS marketplace,
  CASE WHEN side = 'insurer' THEN MAP {p.field: {{value}}} END AS insurer,
  CAST(NULL AS DECIMAL(18,2)) AS amount,
  p.field || ' could not be read: ' || p.reason || '; the field is left empty and not compared' AS message,
  CASE WHEN side = 'marketplace' THEN source_file END AS m_file,
  CASE WHEN side = 'marketplace' THEN source_line END AS m_line,
  CASE WHEN side = 'insurer' THEN source_file END AS i_file,
  CASE WHEN side = 'insurer' THEN source_line END AS i_line
FROM (SELECT * EXCLUDE (p), unnest(p) AS p FROM problems)
