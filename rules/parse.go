package rules

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
	"github.com/enrollaudit/enrollaudit/strictyaml"
)

//go:embed default/*.yaml
var defaultPack embed.FS

type fileYAML struct {
	Version  int            `yaml:"version"`
	Disable  []string       `yaml:"disable"`
	Override []overrideYAML `yaml:"override"`
	Rules    []ruleYAML     `yaml:"rules"`
}

type ruleYAML struct {
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Description string         `yaml:"description"`
	Category    string         `yaml:"category"`
	Severity    string         `yaml:"severity"`
	Grain       string         `yaml:"grain"`
	AppliesTo   string         `yaml:"applies_to"`
	When        string         `yaml:"when"`
	Amount      string         `yaml:"amount"`
	Message     string         `yaml:"message"`
	Fields      []string       `yaml:"fields"`
	Params      map[string]any `yaml:"params"`
}

// overrideYAML changes a rule defined elsewhere (usually the default pack)
// without copying it: its severity or its parameters.
type overrideYAML struct {
	ID       string         `yaml:"id"`
	Severity string         `yaml:"severity"`
	Params   map[string]any `yaml:"params"`
}

type override struct {
	overrideYAML
	file string
	line int
}

// parsed is one rule file's content.
type parsed struct {
	file      string
	rules     []*Rule
	disable   []string
	disLines  []int
	overrides []override
}

var paramNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// parseFile reads one rule file strictly, collecting every problem.
func parseFile(file string, data []byte) (*parsed, error) {
	var doc fileYAML
	root, err := strictyaml.Decode(file, data, &doc, FormatVersion)
	if root == nil {
		return nil, err
	}
	var errs fileerr.List
	errs.Collect(file, err)
	out := &parsed{file: file, disable: doc.Disable}
	ruleNodes := strictyaml.Value(root, "rules")
	for i, ry := range doc.Rules {
		var node *yaml.Node
		if ruleNodes != nil && i < len(ruleNodes.Content) {
			node = ruleNodes.Content[i]
		}
		r := &Rule{
			ID: ry.ID, Title: ry.Title, Description: strings.TrimSpace(ry.Description),
			Category: ry.Category, Severity: ry.Severity, Grain: Grain(ry.Grain), AppliesTo: Scope(ry.AppliesTo),
			When: strings.TrimSpace(ry.When), Amount: strings.TrimSpace(ry.Amount), Message: strings.TrimSpace(ry.Message),
			Fields: ry.Fields, Params: ry.Params, Source: file, Line: lineOf(node), lines: map[string]int{},
		}
		for _, k := range []string{"id", "title", "category", "severity", "grain", "applies_to", "when", "amount", "message", "fields", "params"} {
			r.lines[k] = strictyaml.KeyLine(node, k)
		}
		if bad := validateRule(r); len(bad) > 0 {
			errs = append(errs, bad...)
			continue // kept out, so its other problems don't pile up downstream
		}
		out.rules = append(out.rules, r)
	}
	if dn := strictyaml.Value(root, "disable"); dn != nil {
		for _, n := range dn.Content {
			out.disLines = append(out.disLines, n.Line)
		}
	}
	overNodes := strictyaml.Value(root, "override")
	for i, o := range doc.Override {
		line := 0
		if overNodes != nil && i < len(overNodes.Content) {
			line = overNodes.Content[i].Line
		}
		if o.Severity != "" && !slices.Contains(canonical.Severities, o.Severity) {
			errs.Add(file, line, fmt.Sprintf("override %s: severity %q is not one of %s", o.ID, o.Severity, strings.Join(canonical.Severities, ", ")))
		}
		out.overrides = append(out.overrides, override{overrideYAML: o, file: file, line: line})
	}
	return out, errs.Err()
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// validateRule checks everything that can be checked without DuckDB.
func validateRule(r *Rule) fileerr.List {
	var errs fileerr.List
	bad := func(key, msg string) {
		name := r.ID
		if name == "" {
			name = "(no id)"
		}
		errs.Add(r.Source, r.LineOf(key), "rule "+name+": "+msg)
	}
	switch {
	case r.ID == "":
		bad("id", "id is required")
	case !idRE.MatchString(r.ID):
		bad("id", fmt.Sprintf("id %q must be lowercase letters, digits and hyphens", r.ID))
	}
	if strings.TrimSpace(r.Title) == "" {
		bad("title", "title is required")
	}
	if !slices.Contains(canonical.Categories, r.Category) {
		bad("category", fmt.Sprintf("category %q is not one of %s", r.Category, strings.Join(canonical.Categories, ", ")))
	}
	if !slices.Contains(canonical.Severities, r.Severity) {
		bad("severity", fmt.Sprintf("severity %q is not one of %s", r.Severity, strings.Join(canonical.Severities, ", ")))
	}
	if r.Grain != GrainMember && r.Grain != GrainPolicy {
		bad("grain", fmt.Sprintf("grain %q is not member or policy", r.Grain))
	}
	if !slices.Contains(scopes, r.AppliesTo) {
		names := make([]string, len(scopes))
		for i, s := range scopes {
			names[i] = string(s)
		}
		bad("applies_to", fmt.Sprintf("applies_to %q is not one of %s", r.AppliesTo, strings.Join(names, ", ")))
	}
	if r.When == "" {
		bad("when", "when (a SQL boolean expression) is required")
	}
	if r.Message == "" {
		bad("message", "message is required")
	}
	for name, v := range r.Params {
		if !paramNameRE.MatchString(name) {
			bad("params", fmt.Sprintf("parameter name %q must be lowercase letters, digits and underscores", name))
		}
		if _, err := sqlLiteral(v); err != nil {
			bad("params", fmt.Sprintf("parameter %s: %v", name, err))
		}
	}
	for _, key := range []string{"when", "amount"} {
		expr := r.When
		if key == "amount" {
			expr = r.Amount
		}
		for _, p := range paramRefs(expr) {
			if _, ok := r.Params[p]; !ok {
				bad(key, fmt.Sprintf("$%s is not a parameter of this rule", p))
			}
		}
	}
	// Fields are shown in every report: only canonical fields, so masking
	// applies to them whatever the rule says.
	for _, f := range r.Fields {
		if _, ok := canonical.Lookup(f); !ok {
			msg := fmt.Sprintf("fields: %q is not a canonical field", f)
			if _, ok := canonical.Lookup(strings.ToLower(strings.Trim(f, "\"' "))); ok {
				msg += fmt.Sprintf(" (write %s)", strings.ToLower(strings.Trim(f, "\"' ")))
			}
			bad("fields", msg)
		}
	}
	for _, ref := range templateRefs(r.Message) {
		if !strings.Contains(ref, ".") {
			if _, ok := r.Params[ref]; !ok && !slices.Contains(pairColumns, ref) {
				bad("message", fmt.Sprintf("{%s} is neither a parameter nor one of %s", ref, strings.Join(pairColumns, ", ")))
			}
		}
	}
	return errs
}

// LoadOptions says where rules come from.
type LoadOptions struct {
	Paths      []string // rule files or directories of *.yaml / *.yml files
	Disable    []string // rule ids to turn off (e.g. --disable-rule)
	NoDefaults bool     // leave the embedded default pack out
}

// Load reads the default pack and the user's rule files, applies overrides
// and disables, and returns the active set. Every problem in every file is
// reported together. On error the returned set still holds the rules that
// are valid on their own, so the caller can compile them and report those
// problems in the same run.
func Load(opts LoadOptions) (*Set, error) {
	var errs fileerr.List
	var files []*parsed
	if !opts.NoDefaults {
		ents, err := fs.ReadDir(defaultPack, "default")
		if err != nil {
			return nil, fmt.Errorf("read default rule pack: %w", err)
		}
		for _, e := range ents {
			data, err := defaultPack.ReadFile("default/" + e.Name())
			if err != nil {
				return nil, fmt.Errorf("read default rule pack: %w", err)
			}
			p, err := parseFile("default/"+e.Name(), data)
			errs.Collect("default/"+e.Name(), err)
			if p != nil {
				for _, r := range p.rules {
					r.shipped = true
				}
				files = append(files, p)
			}
		}
	}
	for _, path := range opts.Paths {
		names, err := ruleFiles(path)
		if err != nil {
			errs.Collect(path, err)
			continue
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				errs.Add(name, 0, "cannot read rule file: "+unwrapPathError(err))
				continue
			}
			p, err := parseFile(name, data)
			errs.Collect(name, err)
			if p != nil {
				files = append(files, p)
			}
		}
	}

	set := &Set{}
	seen := map[string]*Rule{}
	for _, f := range files {
		for _, r := range f.rules {
			if r.ID == "" {
				continue
			}
			if prev, ok := seen[r.ID]; ok {
				errs.Add(r.Source, r.Line, fmt.Sprintf("rule %s: id already used at %s:%d (disable that rule and give yours a new id)", r.ID, prev.Source, prev.Line))
				continue
			}
			seen[r.ID] = r
			set.Rules = append(set.Rules, r)
		}
	}
	for _, f := range files {
		for _, o := range f.overrides {
			r, ok := seen[o.ID]
			if !ok {
				errs.Add(o.file, o.line, fmt.Sprintf("override: no rule with id %q", o.ID))
				continue
			}
			if o.Severity != "" {
				r.Severity = o.Severity
			}
			for k, v := range o.Params {
				if _, ok := r.Params[k]; !ok {
					errs.Add(o.file, o.line, fmt.Sprintf("override %s: rule has no parameter %q", o.ID, k))
					continue
				}
				if _, err := sqlLiteral(v); err != nil {
					errs.Add(o.file, o.line, fmt.Sprintf("override %s: parameter %s: %v", o.ID, k, err))
					continue
				}
				r.Params[k] = v
				r.shipped = false
			}
		}
	}
	disabled := map[string]bool{}
	disable := func(id, file string, line int) {
		if _, ok := seen[id]; !ok {
			errs.Add(file, line, fmt.Sprintf("disable: no rule with id %q", id))
			return
		}
		if !disabled[id] {
			disabled[id] = true
			set.Disabled = append(set.Disabled, id)
		}
	}
	for _, f := range files {
		for i, id := range f.disable {
			line := 0
			if i < len(f.disLines) {
				line = f.disLines[i]
			}
			disable(id, f.file, line)
		}
	}
	for _, id := range opts.Disable {
		disable(id, "--disable-rule", 0)
	}
	set.Rules = slices.DeleteFunc(set.Rules, func(r *Rule) bool { return disabled[r.ID] })
	return set, errs.Err()
}

// ruleFiles expands a --rules path: a file, or a directory's *.yaml/*.yml.
func ruleFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &fileerr.Error{File: path, Msg: "cannot read rules: " + unwrapPathError(err)}
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var out []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, _ := filepath.Glob(filepath.Join(path, pat))
		out = append(out, m...)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, &fileerr.Error{File: path, Msg: "directory has no .yaml rule files"}
	}
	return out, nil
}

// unwrapPathError drops the path from an *fs.PathError: the caller's
// message names the file already.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func hashRules(s *Set) string {
	type hashed struct {
		ID, Title, Category, Severity, Grain, AppliesTo, When, Amount, Message string
		Fields                                                                 []string
		Params                                                                 map[string]any
	}
	var hs []hashed
	for _, r := range s.Rules {
		hs = append(hs, hashed{r.ID, r.Title, r.Category, r.Severity, string(r.Grain), string(r.AppliesTo), r.When, r.Amount, r.Message, r.Fields, r.Params})
	}
	b, _ := json.Marshal(struct {
		Rules    []hashed
		Disabled []string
	}{hs, s.Disabled})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
