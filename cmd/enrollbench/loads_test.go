package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be enrollbench's child, as the real binary
// is to itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		os.Exit(benchMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestEveryFormatAndRates: a small run over the three marketplace formats
// gives a row each with the planted findings (RCNI has no terminated
// status, so fewer), and with --rates the loading table a row each.
func TestEveryFormatAndRates(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator and a dozen child processes")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--members", "3000", "--shapes", "basic", "--runs", "1", "--marketplace-format", "csv,834,rcni", "--rates", "--dir", t.TempDir()}
	if code := benchMain(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var lines [][]string
	for _, l := range strings.Split(stdout.String(), "\n") {
		lines = append(lines, strings.Fields(l))
	}
	row := func(shape string, n int) []string {
		for _, f := range lines {
			if len(f) == n && f[0] == shape {
				return f
			}
		}
		t.Fatalf("no row %q of %d columns in:\n%s", shape, n, stdout.String())
		return nil
	}
	csv, x12 := row("basic", 13), row("basic/834", 13)
	// findings (truth): the 834 finds what the CSV does, all planted.
	if csv[11] != x12[11] || "("+csv[11]+")" != csv[12] {
		t.Errorf("findings: CSV %s %s, 834 %s:\n%s", csv[11], csv[12], x12[11], stdout.String())
	}
	row("basic/rcni", 13)
	for _, f := range []string{"834", "rcni"} {
		if !strings.Contains(stdout.String(), "audit from the "+f+" against audit from the CSV: ") {
			t.Errorf("no %s/CSV ratio:\n%s", f, stdout.String())
		}
	}
	var formats, loaded []string
	for _, f := range lines {
		if len(f) == 8 && f[0] == "basic" {
			formats, loaded = append(formats, f[1]), append(loaded, f[3])
		}
	}
	if len(loaded) == 3 && (loaded[0] != loaded[1] || loaded[0] != loaded[2] || loaded[0] == "0") {
		t.Errorf("rows loaded by format %q:\n%s", loaded, stdout.String())
	}
	if !slices.Equal(formats, []string{"csv", "834", "rcni"}) {
		t.Errorf("loading table rows %q:\n%s", formats, stdout.String())
	}
}

func TestLoadsTable(t *testing.T) {
	s := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	var b bytes.Buffer
	printLoads(&b, []loadRow{
		{shape: "basic", format: "csv", bytes: 100e6, rows: 500000, loads: []time.Duration{s(2), s(1), s(9)}},
		{shape: "basic", format: "834", bytes: 300e6, rows: 500000, loads: []time.Duration{s(3), s(2)}},
	})
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	for _, want := range []string{
		"basic csv 100.0 500000 2.0 50.0 250000 -",
		"basic 834 300.0 500000 2.5 120.0 200000 0.80x",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
