-- The rules of one relation in one scan of it (BatchQuery): each rule's
-- condition picks its finding struct; rows no condition selects are left
-- before any struct is built.
INSERT INTO {{.Table}}
SELECT unnest(f) FROM (
  SELECT unnest(list_filter([
    {{- range $n, $r := .Rules}}{{if $n}}, {{end}}CASE WHEN {{$r.Cond}} THEN {{$r.Value}} END{{end -}}
  ], x -> x IS NOT NULL)) AS f
  FROM ({{.Scan}}) AS {{.Alias}}
  WHERE {{range $n, $r := .Rules}}{{if $n}} OR {{end}}{{$r.Cond}}{{end}}
)
