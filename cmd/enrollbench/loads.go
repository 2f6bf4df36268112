package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/enrollaudit/enrollaudit/audit"
	"github.com/enrollaudit/enrollaudit/audit/synth"
)

// loadRow is one format's loading of a shape's marketplace file, alone:
// the rate the issue of the 834 path asks of each format (docs/benchmark.md).
type loadRow struct {
	shape, format string
	bytes         int64
	rows          int64           // marketplace rows loaded
	loads         []time.Duration // the engine's load step of each run
}

// loadResult is what a load child reports.
type loadResult struct {
	Rows    int64         `json:"rows"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// loadResultFile is where a load child writes its loadResult, in its OUT.
const loadResultFile = "load.json"

// measureLoads times loading c's marketplace file alone in each format
// (MB/s of the file's own bytes, rows/s to compare formats),
// runs times, the formats alternating.
func measureLoads(self string, c benchCase, formats []string, runs int, lim childLimits, log io.Writer) ([]loadRow, error) {
	out := make([]loadRow, len(formats))
	cases := make([]benchCase, len(formats))
	for i, f := range formats {
		rc, err := rendered(c, f)
		if err != nil {
			return nil, err
		}
		cases[i] = rc
		in, err := inputsOf(c.data)
		if err != nil {
			return nil, err
		}
		path := in.marketplace
		if rc.marketplace != "" {
			path = filepath.Join(c.data, rc.marketplace)
		}
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if err := readThrough(path); err != nil {
			return nil, err
		}
		out[i] = loadRow{shape: c.shape, format: f, bytes: st.Size()}
	}
	for run := 1; run <= runs; run++ {
		for i, rc := range cases {
			fmt.Fprintf(log, "%s, run %d of %d: loading the marketplace file as %s...\n", c.shape, run, runs, formats[i])
			if _, err := runChild(self, "load", rc.data, rc.out, lim, rc.marketplace); err != nil {
				return nil, fmt.Errorf("load %s: %w", formats[i], err)
			}
			raw, err := os.ReadFile(filepath.Join(rc.out, loadResultFile))
			if err != nil {
				return nil, err
			}
			var res loadResult
			if err := json.Unmarshal(raw, &res); err != nil {
				return nil, err
			}
			out[i].rows = res.Rows
			out[i].loads = append(out[i].loads, res.Elapsed)
		}
	}
	return out, nil
}

// loadOnly is the audit's load step on the marketplace file, with an
// insurer side that has no rows: reading, parsing, normalising and
// storing, as in a run, and the hashing pass beside it.
func loadOnly(in inputs, out, memory string) error {
	ctx := context.Background()
	empty := filepath.Join(out, "no-insurer.csv")
	if err := os.WriteFile(empty, []byte("exchange_policy_id,exchange_member_id\n"), 0o644); err != nil {
		return err
	}
	e, err := audit.Open(ctx, audit.Options{
		Marketplace:        []string{in.marketplace},
		MarketplaceFormat:  renderingFormat(in.marketplace),
		MarketplaceMapping: in.marketplaceMapping,
		Insurer:            []string{empty},
		OutDir:             out,
		MemoryLimit:        memory,
		Version:            "bench",
	})
	if err != nil {
		return err
	}
	defer e.Close()
	start := time.Now()
	if err := e.Load(ctx); err != nil {
		return err
	}
	res := loadResult{Rows: e.Report().Summary.MarketplaceRows, Elapsed: time.Since(start)}
	raw, _ := json.Marshal(res)
	return os.WriteFile(filepath.Join(out, loadResultFile), raw, 0o644)
}

// renderingReaders are the readers (--marketplace-format of a run) of the
// generator's renderings.
var renderingReaders = map[string]string{"834": "x12", "rcni": "rcni"}

// renderingFormat is the reader of a generator's rendering of the
// marketplace file ("" for any other file: its extension tells).
func renderingFormat(path string) string {
	for f, name := range synth.Renderings {
		if filepath.Base(path) == name {
			return renderingReaders[f]
		}
	}
	return ""
}

func printLoads(w io.Writer, loads []loadRow) {
	fmt.Fprintln(w, "\nloading the marketplace file alone (the engine's load step: read, parse, normalise, store), medians")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "shape\tformat\tfile MB\trows\tload s\tMB/s\trows/s\trows/s vs CSV\t")
	csvRate := map[string]float64{}
	for _, l := range loads {
		if l.format == "csv" {
			csvRate[l.shape] = float64(l.rows) / l.median().Seconds()
		}
	}
	for _, l := range loads {
		t := l.median().Seconds()
		rate := float64(l.rows) / t
		vs := "-"
		if c, ok := csvRate[l.shape]; ok && l.format != "csv" {
			vs = fmt.Sprintf("%.2fx", rate/c)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%d\t%.1f\t%.1f\t%.0f\t%s\t\n", l.shape, l.format, float64(l.bytes)/1e6, l.rows, t,
			float64(l.bytes)/1e6/t, rate, vs)
	}
	tw.Flush()
}

func (l loadRow) median() time.Duration { return middle(slices.Clone(l.loads)) }
