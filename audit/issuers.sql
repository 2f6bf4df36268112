-- What an issuer's packet (--split-by-issuer) needs besides the summary.

-- Each input file of one side with the issuer's rows in it: loaded and
-- rejected. Rows without an issuer (rejects, mostly) are no issuer's.
{{define "issuer_inputs"}}SELECT f.path, count(*) FILTER (WHERE c.reject_reasons IS NULL), count(*) FILTER (WHERE c.reject_reasons IS NOT NULL)
FROM {{.Canon}} c JOIN {{.Files}} f ON f.id = c.file_id
WHERE c.issuer_hios_id = {{.Issuer}} GROUP BY ALL{{end}}

-- The issuers of the audit's policies (either side) and findings, in order.
{{define "packet_issuers"}}SELECT issuer_hios_id FROM policy_keys WHERE issuer_hios_id IS NOT NULL
UNION SELECT issuer_hios_id FROM findings WHERE issuer_hios_id IS NOT NULL ORDER BY 1{{end}}
