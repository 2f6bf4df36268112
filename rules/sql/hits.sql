-- First pass of a two-pass batch (BatchQueries): one scan of every row of
-- the relation, carrying only the fields the conditions read, records the
-- row id and the item number of each (row, rule) hit.
CREATE OR REPLACE TEMP TABLE {{.HitsTable}} AS
SELECT {{.Alias}}.{{.ID}} AS id,
  unnest(list_filter([
    {{- range $n, $r := .Rules}}{{if $n}}, {{end}}CASE WHEN {{$r.Cond}} THEN {{$n}} END{{end -}}
  ], x -> x IS NOT NULL)) AS item
FROM ({{.All}}) AS {{.Alias}}
WHERE {{range $n, $r := .Rules}}{{if $n}} OR {{end}}{{$r.Cond}}{{end}}
