-- Counted only when no member paired on the keys: the insurer's distinct
-- member IDs, how many of them match a marketplace member ID once leading
-- zeros are removed on both sides, and each side's rows.
{{define "nothing_matched"}}WITH m AS (SELECT DISTINCT ltrim(exchange_member_id, '0') AS id FROM {{.MarketplaceRows}}),
i AS (SELECT DISTINCT exchange_member_id AS id FROM {{.InsurerRows}})
SELECT (SELECT count(*) FROM i),
  (SELECT count(DISTINCT ltrim(i.id, '0')) FROM i SEMI JOIN m ON m.id = ltrim(i.id, '0')),
  (SELECT count(*) FROM {{.MarketplaceRows}}), (SELECT count(*) FROM {{.InsurerRows}}){{end}}
