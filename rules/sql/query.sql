-- One rule on its own: the findings of each item (a paired rule reads one
-- relation, a single-file rule each side's rows), each the rule's finding
-- struct (canonical.FindingColumns) for the rows its condition selects.
-- Rules are compiled with it; runs evaluate rules in batches.
{{range $n, $it := .}}{{if $n}}
UNION ALL
{{end}}SELECT unnest({{$it.Value}}) FROM {{$it.Relation}} AS {{$it.Alias}} WHERE {{$it.Cond}}{{end}}
