-- A side's rows relation (alias r in rules): its loaded rows with row_id,
-- source_file and source_line (.File and .Line are expressions over the
-- input files) and the flags matching fills in; every row a flag was not
-- set on gets the usual value (occurrence 1; the subscriber-indicator row
-- speaks for its policy). unreadable_fields names the fields of the row's
-- field problems (NULL, and free, on nearly every row). .Scope, when the
-- audit leaves some of the side's issuers out, keeps the rows of the
-- issuers in scope.
CREATE OR REPLACE VIEW {{.Rows}} AS
SELECT rowid AS row_id, {{.Fields}}, {{.File}} AS source_file, {{.Line}} AS source_line,
  coalesce(occurrence, 1) AS occurrence, duplicate_of, overlapping_policy_id,
  coalesce(policy_row, subscriber_indicator = 'Y', false) AS is_policy_row,
  CASE WHEN field_problems IS NOT NULL THEN list_transform(field_problems, x -> x.field) END AS {{.Unreadable}}
FROM {{.Canon}} WHERE reject_reasons IS NULL{{with .Scope}} AND issuer_hios_id IN ({{.}}){{end}};
