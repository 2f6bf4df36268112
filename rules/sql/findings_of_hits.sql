-- Second pass of a two-pass batch (BatchQueries): the finding struct of
-- each hit, built for the hit rows alone with the fields findings read.
INSERT INTO {{.Table}}
SELECT unnest(CASE {{.Alias}}.item
  {{- range $n, $r := .Rules}} WHEN {{$n}} THEN {{$r.Value}}{{end}} END)
FROM ({{.Hits}}) AS {{.Alias}}
