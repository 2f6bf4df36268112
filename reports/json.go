package reports

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// JSON writes report.json (docs/report.schema.json). Findings are streamed
// into the document one by one; with Report.FindingsFile set they are left
// to that file instead (see NDJSON).
type JSON struct{}

func (JSON) Name() string     { return "json" }
func (JSON) FileName() string { return "report.json" }

func (JSON) Write(ctx context.Context, w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var doc any = r
	if r.Options.AggregateOnly {
		// Same document, with the summary in its suppressed form.
		type plain Report
		doc = struct {
			*plain
			Summary aggregateView `json:"summary"`
		}{(*plain)(r), aggregateSummary(r.Summary)}
	}
	head, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	// Drop the closing brace to append the findings array.
	head = head[:len(head)-2]
	if _, err := bw.Write(head); err != nil {
		return err
	}
	if r.History != nil {
		if err := writeJSONHistory(bw, r); err != nil {
			return err
		}
	}
	switch {
	case r.Options.AggregateOnly || r.FindingsFile != "":
		if _, err := bw.WriteString(",\n  \"findings\": []\n}\n"); err != nil {
			return err
		}
	default:
		if _, err := bw.WriteString(",\n  \"findings\": ["); err != nil {
			return err
		}
		n := 0
		err := r.Findings.Each(ctx, "", func(f *Finding) error {
			b, err := json.Marshal(f)
			if err != nil {
				return err
			}
			sep := ",\n    "
			if n == 0 {
				sep = "\n    "
			}
			n++
			if n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if _, err := bw.WriteString(sep); err != nil {
				return err
			}
			_, err = bw.Write(b)
			return err
		})
		if err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
		tail := "\n  ]\n}\n"
		if n == 0 {
			tail = "]\n}\n"
		}
		if _, err := bw.WriteString(tail); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeJSONHistory adds what a run recorded in a history reports at the top
// level: the findings resolved since the previous run (none listed in an
// aggregate-only report: they are person-level rows) and the previous run
// (null on a first run).
func writeJSONHistory(w io.Writer, r *Report) error {
	resolved := r.History.Resolved
	if resolved == nil || r.Options.AggregateOnly {
		resolved = []ResolvedFinding{}
	}
	doc, err := json.MarshalIndent(struct {
		Resolved    []ResolvedFinding `json:"resolved"`
		PreviousRun *PreviousRun      `json:"previous_run"`
	}{resolved, r.History.PreviousRun}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	// Inside the report object: the fields without their braces.
	doc = bytes.TrimSuffix(bytes.TrimPrefix(doc, []byte("{")), []byte("\n}"))
	_, err = fmt.Fprintf(w, ",%s", doc)
	return err
}

// NDJSON writes findings.ndjson: one finding per line, for audits with more
// findings than one JSON document should hold.
type NDJSON struct{}

func (NDJSON) Name() string     { return "ndjson" }
func (NDJSON) FileName() string { return "findings.ndjson" }

func (NDJSON) Write(ctx context.Context, w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if !r.Options.AggregateOnly {
		enc := json.NewEncoder(bw)
		n := 0
		err := r.Findings.Each(ctx, "", func(f *Finding) error {
			n++
			if n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			return enc.Encode(f)
		})
		if err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
	}
	return bw.Flush()
}
