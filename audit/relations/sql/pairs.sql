-- The SELECT of a pair relation (alias p in rules), at member grain or
-- policy grain. .M and .I are what it gives as m and i: the whole rows, or
-- narrower structs of them. With .Hits it selects only the pairs recorded in
-- the hits table, each with its item number first: findings are built for a
-- few pairs, so their rows are picked out of each side first and the joins
-- are sized by the hits. Member pairs take their keys from their rows, so
-- member_keys stays a table of numbers, cheap to write and to scan; policy
-- pairs only ever meet policy rows, a smaller side to join.
{{if .Hits}}WITH hk AS MATERIALIZED (SELECT h.item, k.* FROM {{.Hits}} AS h JOIN {{.Keys}} AS k ON k.pair_id = h.id) {{end -}}
SELECT {{if .Hits}}k.item, {{end}}k.pair_id,
{{- if .Policy}} k.pol AS exchange_policy_id, CAST(NULL AS VARCHAR) AS exchange_member_id, k.issuer_hios_id AS issuer_hios_id, CAST(0 AS BIGINT) AS segment,
{{- else}} coalesce(m.exchange_policy_id, i.exchange_policy_id) AS exchange_policy_id, coalesce(m.exchange_member_id, i.exchange_member_id) AS exchange_member_id,
  coalesce(m.issuer_hios_id, i.issuer_hios_id) AS issuer_hios_id, k.segment AS segment,
{{- end}}
  k.mrow IS NOT NULL AS in_marketplace, k.irow IS NOT NULL AS in_insurer,
  k.marketplace_has_policy, k.insurer_has_policy,
{{- if .Policy}} k.mrow IS NOT NULL AS marketplace_has_member, k.irow IS NOT NULL AS insurer_has_member,
{{- else}} k.marketplace_has_member AS marketplace_has_member, k.insurer_has_member AS insurer_has_member,
{{- end}}
  {{.M}} AS m, {{.I}} AS i
FROM {{if .Hits}}hk{{else}}{{.Keys}}{{end}} AS k
LEFT JOIN {{.MarketplaceRows}} AS m ON m.row_id = k.mrow
LEFT JOIN {{.InsurerRows}} AS i ON i.row_id = k.irow
