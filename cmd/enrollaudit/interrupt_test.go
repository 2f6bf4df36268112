package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestInterruptAnyTime: an interrupt at any moment of a run (here: before it
// starts, while rules compile, while files load, later) gives exit 130 and
// one line, never a pile of errors the cancellation caused.
func TestInterruptAnyTime(t *testing.T) {
	args := []string{"run", "--marketplace", "../../fixtures/basic/marketplace.csv", "--insurer", "../../fixtures/basic/insurer.csv",
		"--insurer-mapping", "../../fixtures/basic/insurer-mapping.yaml", "--out", t.TempDir(), "--quiet"}
	for _, after := range []time.Duration{0, time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(after, cancel)
		var stdout, stderr bytes.Buffer
		code := mainContext(ctx, args, strings.NewReader(""), &stdout, &stderr)
		timer.Stop()
		cancel()
		if code == exitOK {
			continue // the run finished first
		}
		const want = "enrollaudit: interrupted; no report was written (earlier reports are as they were)\n"
		if code != exitInterrupted || stderr.String() != want {
			t.Errorf("interrupted after %v: exit %d, stderr %q; want exit 130 and %q", after, code, stderr.String(), want)
		}
	}
}
