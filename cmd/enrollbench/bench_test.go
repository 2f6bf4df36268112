package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"--shapes", "tall"},
		{"--members", "0"},
		{"--members", "many"},
		{"--runs", "0"},
		{"--marketplace-format", "xml"},
		{"--marketplace-format", "csv,edi"},
	} {
		var stdout, stderr bytes.Buffer
		if code := benchMain(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: wrote %q to stdout", args, stdout.String())
		}
	}
}

// TestTable: medians, ratios and growth are computed per shape.
func TestTable(t *testing.T) {
	s := func(wall, cpu float64) measure {
		return measure{Wall: time.Duration(wall * float64(time.Second)), CPU: time.Duration(cpu * float64(time.Second)), PeakRSS: 1 << 30}
	}
	rows := []row{
		{shape: "basic", members: 1000, audit: []measure{s(3, 2), s(9, 2), s(4, 2)}, baseline: []measure{s(2, 1), s(3, 1), s(2, 1)}, findings: 5, truth: 5},
		{shape: "basic", members: 10000, audit: []measure{s(40, 20)}, baseline: []measure{s(20, 10)}, findings: 50, truth: 50},
		{shape: "data:x", members: 7, audit: []measure{s(1, 1)}, baseline: []measure{s(1, 1)}, findings: 3, truth: -1},
	}
	var b bytes.Buffer
	printTable(&b, rows, 3)
	out := b.String()
	var lines []string // with single spaces: the padding is tabwriter's
	for _, l := range strings.Split(out, "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	for _, want := range []string{
		"basic 1000 4.0 1024 MiB 2.0 1024 MiB 2.00x 1.50-3.00x 2.00x 5 (5)",
		"data:x 7 1.0 1024 MiB 1.0 1024 MiB 1.00x 1.00-1.00x 1.00x 3 (?)",
		"basic growth 1000 -> 10000 members: audit 10.00x, baseline 10.00x (rows 10.00x)",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "data:x growth") {
		t.Errorf("growth for a shape of one size:\n%s", out)
	}
}

// TestFormatRatios: each rendering's row is compared with the CSV row of
// its shape and size, in seconds and against the baselines.
func TestFormatRatios(t *testing.T) {
	s := func(wall float64) measure { return measure{Wall: time.Duration(wall * float64(time.Second))} }
	rows := []row{
		{shape: "basic", members: 1000, audit: []measure{s(10)}, baseline: []measure{s(5)}},
		{shape: "basic/834", members: 1000, audit: []measure{s(12)}, baseline: []measure{s(4)}},
		{shape: "basic", members: 2000, audit: []measure{s(20)}, baseline: []measure{s(10)}},
		{shape: "wide/834", members: 1000, audit: []measure{s(1)}, baseline: []measure{s(1)}}, // no CSV row
	}
	var b bytes.Buffer
	printFormatRatios(&b, rows)
	want := "basic 1000 members: audit from the 834 against audit from the CSV: 1.20x in seconds, 1.50x against each one's baseline\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
