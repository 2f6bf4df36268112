// Package mapping reads mapping files (docs/mapping.md): how one source
// file's headers, date format and values translate to canonical fields.
package mapping

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/strictyaml"
)

// Version is the mapping-file version this build reads.
const Version = 1

// Formats a mapping may name; the rest come from the file's extension.
var Formats = []string{"csv", "tsv", "parquet", "json", "ndjson", "xlsx", "x12", "rcni"}

// Mapping is a validated mapping file. The zero value (no file) means the
// source headers are the canonical names.
type Mapping struct {
	File       string
	Format     string
	Sheet      string
	Delimiter  string
	Encoding   string            // utf-8 (default), latin-1 or windows-1252
	Columns    map[string]string // canonical field -> source header
	DateFormat string            // strptime pattern for every date column
	// Decimal is the decimal separator of amounts: "." (default) or ",".
	Decimal string
	// NullValues are the texts read as empty; nil means DefaultNullValues.
	NullValues []string
	Values     map[string]map[string]string
	lines      map[string]int // "columns.<field>" etc. -> line in File
}

type fileYAML struct {
	Version    int                          `yaml:"version"`
	Format     string                       `yaml:"format"`
	Sheet      string                       `yaml:"sheet"`
	Delimiter  string                       `yaml:"delimiter"`
	Encoding   string                       `yaml:"encoding"`
	Columns    map[string]string            `yaml:"columns"`
	Formats    formatsYAML                  `yaml:"formats"`
	NullValues *[]string                    `yaml:"null_values"`
	Values     map[string]map[string]string `yaml:"values"`
}

type formatsYAML struct {
	Date    string `yaml:"date"`
	Decimal string `yaml:"decimal"`
}

// Encodings a mapping may name.
var Encodings = []string{"utf-8", "latin-1", "windows-1252"}

// DefaultNullValues are the texts read as empty in every field unless a
// mapping lists its own (null_values: [] reads every text as given).
var DefaultNullValues = []string{"N/A", "n/a", "NULL", "-"}

// Nulls returns the texts read as empty for the file m maps (m may be nil).
func (m *Mapping) Nulls() []string {
	if m == nil || m.NullValues == nil {
		return DefaultNullValues
	}
	return m.NullValues
}

// ValuesOf returns the values: translation of field (m may be nil).
func (m *Mapping) ValuesOf(field string) map[string]string {
	if m == nil {
		return nil
	}
	return m.Values[field]
}

// DecimalComma reports whether amounts use "," as decimal separator.
func (m *Mapping) DecimalComma() bool { return m != nil && m.Decimal == "," }

// Load reads and validates a mapping file.
func Load(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &fileerr.Error{File: path, Msg: "cannot read mapping file: " + strings.TrimPrefix(err.Error(), "open "+path+": ")}
	}
	return Parse(path, data)
}

// Parse validates a mapping file's content; every problem is reported.
func Parse(path string, data []byte) (*Mapping, error) {
	var doc fileYAML
	root, err := strictyaml.Decode(path, data, &doc, Version)
	if root == nil {
		return nil, err
	}
	m := &Mapping{File: path, Format: doc.Format, Sheet: doc.Sheet, Delimiter: doc.Delimiter,
		Encoding: strings.ToLower(doc.Encoding), Columns: doc.Columns, DateFormat: doc.Formats.Date,
		Decimal: doc.Formats.Decimal, Values: doc.Values, lines: map[string]int{}}
	if doc.NullValues != nil {
		m.NullValues = append([]string{}, *doc.NullValues...)
	}
	for _, sec := range []string{"columns", "values"} {
		n := strictyaml.Value(root, sec)
		if n == nil {
			continue
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m.lines[sec+"."+n.Content[i].Value] = n.Content[i].Line
		}
	}
	for _, k := range []string{"format", "sheet", "delimiter", "encoding", "formats", "null_values"} {
		m.lines[k] = strictyaml.KeyLine(root, k)
	}
	var errs fileerr.List
	errs.Collect(path, err)
	if m.Format != "" && !slices.Contains(Formats, m.Format) {
		errs.Add(path, m.lines["format"], fmt.Sprintf("format %q is not one of %s", m.Format, strings.Join(Formats, ", ")))
	}
	if m.Delimiter != "" && len([]rune(m.Delimiter)) != 1 && m.Delimiter != `\t` {
		errs.Add(path, m.lines["delimiter"], fmt.Sprintf("delimiter %q must be a single character", m.Delimiter))
	}
	if m.Encoding != "" && !slices.Contains(Encodings, m.Encoding) {
		errs.Add(path, m.lines["encoding"], fmt.Sprintf("encoding %q is not one of %s", m.Encoding, strings.Join(Encodings, ", ")))
	}
	if m.Decimal != "" && m.Decimal != "." && m.Decimal != "," {
		errs.Add(path, m.lines["formats"], fmt.Sprintf(`formats.decimal %q must be "." or ","`, m.Decimal))
	}
	for _, v := range m.NullValues {
		if strings.TrimSpace(v) == "" {
			errs.Add(path, m.lines["null_values"], "null_values: an empty text is always read as empty; list only markers such as N/A")
		}
	}
	if m.DateFormat != "" && !strings.Contains(m.DateFormat, "%") {
		errs.Add(path, m.lines["formats"], fmt.Sprintf("formats.date %q is not a strptime pattern such as %%m/%%d/%%Y", m.DateFormat))
	}
	headers := map[string]string{}
	for _, field := range sortedKeys(m.Columns) {
		if _, ok := canonical.Lookup(field); !ok {
			errs.Add(path, m.lines["columns."+field], fmt.Sprintf("columns: %q is not a canonical field (see docs/mapping.md)", field))
		}
		h := m.Columns[field]
		if strings.TrimSpace(h) == "" {
			errs.Add(path, m.lines["columns."+field], fmt.Sprintf("columns: %s has an empty header name", field))
		}
		if prev, ok := headers[h]; ok {
			errs.Add(path, m.lines["columns."+field], fmt.Sprintf("columns: header %q is already mapped to %s", h, prev))
		}
		headers[h] = field
	}
	for _, field := range sortedKeys(m.Values) {
		if _, ok := canonical.Lookup(field); !ok {
			errs.Add(path, m.lines["values."+field], fmt.Sprintf("values: %q is not a canonical field", field))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Resolve matches a source file's headers to canonical fields. With a
// mapping, each mapped header must exist (exactly, or failing that ignoring
// case and surrounding space); without one, headers named like canonical
// fields are used. It returns canonical field -> source header, and an error
// naming every mapped header missing from the file and every required field
// left unmapped.
func (m *Mapping) Resolve(headers []string, source string) (map[string]string, error) {
	find := func(want string) (string, bool) {
		if slices.Contains(headers, want) {
			return want, true
		}
		for _, h := range headers {
			if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(want)) {
				return h, true
			}
		}
		return "", false
	}
	out := map[string]string{}
	var errs fileerr.List
	mapped := m != nil && len(m.Columns) > 0
	if mapped {
		for _, field := range sortedKeys(m.Columns) {
			h, ok := find(m.Columns[field])
			if !ok {
				errs = append(errs, &fileerr.Error{File: m.File, Line: m.lines["columns."+field],
					Msg: fmt.Sprintf("columns: %s: header %q is not in %s (its headers: %s)", field, m.Columns[field], source, preview(headers))})
				continue
			}
			out[field] = h
		}
	}
	for _, f := range canonical.Fields {
		if _, done := out[f.Name]; done {
			continue
		}
		if mapped && slices.Contains(sortedValues(m.Columns), f.Name) {
			continue // that header is taken by another field
		}
		if h, ok := find(f.Name); ok {
			out[f.Name] = h
		}
	}
	for _, req := range canonical.Required {
		if _, ok := out[req]; ok {
			continue
		}
		if m != nil && m.File != "" {
			errs = append(errs, &fileerr.Error{File: m.File, Field: "columns",
				Msg: fmt.Sprintf("%s is required to match records but is not mapped, and %s has no %q header", req, source, req)})
		} else {
			errs = append(errs, &fileerr.Error{File: source,
				Msg: fmt.Sprintf("no %q column: headers must be the canonical field names, or give a mapping file (its headers: %s)", req, preview(headers))})
		}
	}
	return out, errs.Err()
}

func sortedValues(m map[string]string) []string {
	vs := make([]string, 0, len(m))
	for _, v := range m {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return vs
}

// dataLike matches text that is data rather than a column name: digits
// (dates, SSNs, IDs, amounts) or an e-mail address.
var dataLike = regexp.MustCompile(`[0-9]{3}|@|^[0-9.,$/ -]+$`)

// preview lists a file's headers for an error message. When one of them
// looks like data, the first row is probably data (a file without a header
// row) and may hold personal data: columns are then named by position only.
func preview(headers []string) string {
	for _, h := range headers {
		if dataLike.MatchString(h) {
			return fmt.Sprintf("%d columns; the first row looks like data, not column names, so its text is not shown: does the file lack a header row?", len(headers))
		}
	}
	const max = 12
	q := make([]string, 0, max+1)
	for i, h := range headers {
		if i == max {
			q = append(q, fmt.Sprintf("… %d more", len(headers)-max))
			break
		}
		q = append(q, fmt.Sprintf("%q", h))
	}
	return strings.Join(q, ", ")
}
