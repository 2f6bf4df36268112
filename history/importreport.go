package history

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/enrollaudit/enrollaudit/fileerr"
)

// Import records an earlier report.json (read by ReadReport) as the run of
// asOf, so a history can start from reports written before it existed. The
// scope is the report's summary.scope when it has one, else scope when
// given, else every issuer of its findings and of the history: reports
// without a scope audited everything they were given.
func (s *Store) Import(ctx context.Context, asOf time.Time, rep *Report, scope []string) (*Lifecycle, error) {
	var err error
	if rep.Summary.Scope != nil {
		scope = rep.Summary.Scope.Issuers
	}
	if scope == nil {
		if scope, err = s.issuers(ctx); err != nil {
			return nil, err
		}
		for _, f := range rep.findings {
			if f.IssuerHIOSID != "" {
				scope = append(scope, f.IssuerHIOSID)
			}
		}
	}
	run := Run{AsOf: asOf, RecordedAt: rep.GeneratedAt, Source: "import", ToolVersion: rep.Tool.Version,
		RulesHash: rep.Rules.ContentHash, Scope: scope, Summary: rep.summary()}
	for _, in := range rep.Inputs {
		run.Inputs = append(run.Inputs, Input{Side: in.Side, Name: in.Path, Bytes: in.Bytes, SHA256: in.SHA256,
			RowsLoaded: in.RowsLoaded, RowsRejected: in.RowsRejected})
	}
	if g := rep.Summary.Integrity; g != nil {
		run.Integrity = []Integrity{{Grouping: "total", Policies: g.Policies, PoliciesIntact: g.PoliciesIntact,
			People: g.People, PeopleIntact: g.PeopleIntact, DollarsAtStakeCents: rep.integrityCents}}
	}
	rec, err := s.Begin(ctx, run)
	if err != nil {
		return nil, err
	}
	defer rec.Rollback()
	for _, f := range rep.findings {
		if err := rec.Add(ctx, f); err != nil {
			return nil, err
		}
	}
	lc, err := rec.Lifecycle(ctx)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", rep.path, err)
	}
	return lc, rec.Commit(ctx)
}

// issuers lists every issuer the history has covered.
func (s *Store) issuers(ctx context.Context) ([]string, error) {
	var out []string
	err := s.each(ctx, "SELECT DISTINCT issuer_hios_id FROM run_scope WHERE issuer_hios_id <> '' ORDER BY 1", func(rows *sql.Rows) error {
		var iss string
		if err := rows.Scan(&iss); err != nil {
			return err
		}
		out = append(out, iss)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history: issuers: %w", err)
	}
	return out, nil
}

// Report is what an import reads of a report.json.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	Tool          struct {
		Version string `json:"version"`
	} `json:"tool"`
	Options struct {
		AggregateOnly bool `json:"aggregate_only"`
	} `json:"options"`
	Inputs []struct {
		Side         string `json:"side"`
		Path         string `json:"path"`
		Bytes        int64  `json:"bytes"`
		SHA256       string `json:"sha256"`
		RowsLoaded   int64  `json:"rows_loaded"`
		RowsRejected int64  `json:"rows_rejected"`
	} `json:"inputs"`
	Rules struct {
		ContentHash string `json:"content_hash"`
	} `json:"rules"`
	Summary struct {
		MarketplaceRows     int64 `json:"marketplace_rows"`
		InsurerRows         int64 `json:"insurer_rows"`
		MarketplaceRejected int64 `json:"marketplace_rejected"`
		InsurerRejected     int64 `json:"insurer_rejected"`
		MatchedMembers      int64 `json:"matched_members"`
		MatchedPolicies     int64 `json:"matched_policies"`
		Findings            int64 `json:"findings"`
		PeopleAffected      int64 `json:"people_affected"`
		PoliciesAffected    int64 `json:"policies_affected"`
		Categories          []struct {
			MonthlyAmount json.Number `json:"monthly_amount"`
		} `json:"categories"`
		Scope *struct {
			Issuers []string `json:"issuers"`
		} `json:"scope"`
		Integrity *struct {
			Policies       int64       `json:"policies"`
			PoliciesIntact int64       `json:"policies_intact"`
			People         int64       `json:"people"`
			PeopleIntact   int64       `json:"people_intact"`
			DollarsAtStake json.Number `json:"dollars_at_stake"`
		} `json:"integrity"`
	} `json:"summary"`
	FindingsFile string `json:"findings_file"`

	path           string
	findings       []Finding
	monthlyCents   int64
	integrityCents int64
}

func (r *Report) summary() Summary {
	sm := r.Summary
	return Summary{MarketplaceRows: sm.MarketplaceRows, InsurerRows: sm.InsurerRows,
		MarketplaceRejected: sm.MarketplaceRejected, InsurerRejected: sm.InsurerRejected,
		MatchedMembers: sm.MatchedMembers, MatchedPolicies: sm.MatchedPolicies, Findings: sm.Findings,
		PeopleAffected: sm.PeopleAffected, PoliciesAffected: sm.PoliciesAffected, MonthlyAmountCents: r.monthlyCents}
}

// reportFinding is one finding of report.json or findings.ndjson.
type reportFinding struct {
	ID                      string             `json:"id"`
	Rule                    string             `json:"rule"`
	Category                string             `json:"category"`
	Severity                string             `json:"severity"`
	IssuerHIOSID            *string            `json:"issuer_hios_id"`
	ExchangePolicyID        *string            `json:"exchange_policy_id"`
	ExchangeMemberID        *string            `json:"exchange_member_id"`
	Marketplace             map[string]*string `json:"marketplace"`
	Insurer                 map[string]*string `json:"insurer"`
	MonthlyAmountDifference json.Number        `json:"monthly_amount_difference"`
}

// ReadReport reads and checks the report.json at path (and its findings
// file, for reports written with --findings-format ndjson).
func ReadReport(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	rep, err := parseReport(f, path)
	if err != nil {
		return nil, err
	}
	rep.path = path
	if rep.FindingsFile != "" {
		name := filepath.Join(filepath.Dir(path), filepath.Base(rep.FindingsFile))
		nd, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("import: findings of %s: %w", path, err)
		}
		defer nd.Close()
		lines := &lineReader{r: bufio.NewReaderSize(nd, 1<<16)}
		dec := json.NewDecoder(lines)
		dec.UseNumber()
		var errs fileerr.List
		for {
			var rf reportFinding
			err := dec.Decode(&rf)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, &fileerr.Error{File: name, Line: lines.line(dec.InputOffset()), Msg: "not a finding: " + err.Error()}
			}
			rep.add(rf, name, lines.line(dec.InputOffset()), &errs)
		}
		if err := errs.Err(); err != nil {
			return nil, err
		}
	}
	if n := int64(len(rep.findings)); n != rep.Summary.Findings {
		return nil, &fileerr.Error{File: path, Msg: fmt.Sprintf("holds %d findings where its summary counts %d (truncated?)", n, rep.Summary.Findings)}
	}
	return rep, nil
}

// parseReport reads report.json from r, streaming the findings.
func parseReport(r io.Reader, name string) (*Report, error) {
	lines := &lineReader{r: bufio.NewReaderSize(r, 1<<16)}
	dec := json.NewDecoder(lines)
	dec.UseNumber()
	bad := func(err error) error {
		return &fileerr.Error{File: name, Line: lines.line(dec.InputOffset()), Msg: "not a report.json: " + err.Error()}
	}
	rep := &Report{}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, &fileerr.Error{File: name, Line: 1, Msg: "not a report.json: not a JSON object"}
	}
	var errs fileerr.List
	var sawFindings, sawVersion bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		key, _ := tok.(string)
		switch key {
		case "findings":
			sawFindings = true
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, &fileerr.Error{File: name, Line: lines.line(dec.InputOffset()), Field: "findings", Msg: "not an array"}
			}
			for dec.More() {
				var rf reportFinding
				if err := dec.Decode(&rf); err != nil {
					return nil, bad(err)
				}
				rep.add(rf, name, lines.line(dec.InputOffset()), &errs)
			}
			if _, err := dec.Token(); err != nil {
				return nil, bad(err)
			}
		default:
			var target any
			switch key {
			case "schema_version":
				sawVersion, target = true, &rep.SchemaVersion
			case "generated_at":
				target = &rep.GeneratedAt
			case "tool":
				target = &rep.Tool
			case "options":
				target = &rep.Options
			case "inputs":
				target = &rep.Inputs
			case "rules":
				target = &rep.Rules
			case "summary":
				target = &rep.Summary
			case "findings_file":
				target = &rep.FindingsFile
			default:
				target = new(json.RawMessage) // more fields are welcome
			}
			if err := dec.Decode(target); err != nil {
				return nil, &fileerr.Error{File: name, Line: lines.line(dec.InputOffset()), Field: key, Msg: err.Error()}
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(err)
	}
	switch {
	case !sawVersion:
		return nil, &fileerr.Error{File: name, Msg: "not a report.json: no schema_version"}
	case rep.SchemaVersion != 1:
		return nil, &fileerr.Error{File: name, Field: "schema_version", Msg: fmt.Sprintf("%d is not a version this enrollaudit reads (1)", rep.SchemaVersion)}
	case rep.Options.AggregateOnly:
		return nil, &fileerr.Error{File: name, Msg: "written with --aggregate-only: it has no findings to import"}
	case !sawFindings && rep.FindingsFile == "":
		return nil, &fileerr.Error{File: name, Msg: "not a report.json: no findings"}
	}
	for i, c := range rep.Summary.Categories {
		cents, err := toCents(c.MonthlyAmount)
		if err != nil {
			errs.Add(name, 0, fmt.Sprintf("summary.categories[%d].monthly_amount: %v", i, err))
		}
		rep.monthlyCents += cents
	}
	if g := rep.Summary.Integrity; g != nil {
		var err error
		if rep.integrityCents, err = toCents(g.DollarsAtStake); err != nil {
			errs.Add(name, 0, "summary.integrity.dollars_at_stake: "+err.Error())
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return rep, nil
}

// add checks one finding and keeps what the history stores of it.
func (rep *Report) add(rf reportFinding, name string, line int, errs *fileerr.List) {
	for _, req := range []struct{ field, v string }{{"id", rf.ID}, {"rule", rf.Rule}, {"category", rf.Category}, {"severity", rf.Severity}} {
		if req.v == "" {
			*errs = append(*errs, &fileerr.Error{File: name, Line: line, Field: req.field, Msg: "missing in finding " + strconvQuote(rf.ID)})
			return
		}
	}
	f := Finding{ID: rf.ID, Rule: rf.Rule, Category: rf.Category, Severity: rf.Severity,
		IssuerHIOSID: deref(rf.IssuerHIOSID), ExchangePolicyID: deref(rf.ExchangePolicyID), ExchangeMemberID: deref(rf.ExchangeMemberID),
		ValuesHash: ValuesHash(rf.Marketplace, rf.Insurer)}
	if rf.MonthlyAmountDifference != "" {
		cents, err := toCents(rf.MonthlyAmountDifference)
		if err != nil {
			*errs = append(*errs, &fileerr.Error{File: name, Line: line, Field: "monthly_amount_difference", Msg: err.Error()})
			return
		}
		f.MonthlyAmountCents = &cents
	}
	rep.findings = append(rep.findings, f)
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// toCents reads a decimal amount in dollars, rounding to cents half away
// from zero as the reports do. An empty number is zero.
func toCents(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return 0, fmt.Errorf("%q is not an amount", string(n))
	}
	cents := new(big.Rat).Mul(r, big.NewRat(100, 1))
	q, rem := new(big.Int).QuoRem(cents.Num(), cents.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(cents.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(cents.Sign())))
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("%q is out of range", string(n))
	}
	return q.Int64(), nil
}

// lineReader remembers where lines start, so errors found by offset can
// name a line.
type lineReader struct {
	r        io.Reader
	offset   int64
	newlines []int64
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.newlines = append(l.newlines, l.offset+int64(i))
		}
	}
	l.offset += int64(n)
	return n, err
}

// line is the 1-based line holding the byte at offset.
func (l *lineReader) line(offset int64) int {
	return sort.Search(len(l.newlines), func(i int) bool { return l.newlines[i] >= offset }) + 1
}
