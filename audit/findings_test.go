package audit

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/reports"
	"github.com/enrollaudit/enrollaudit/rules"
)

// TestFindingStream: findings arrive in order across read-ahead batches,
// and an error from the writer stops the reading and is the one returned.
func TestFindingStream(t *testing.T) {
	ctx := context.Background()
	d, err := openDB(ctx, Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	const n = 3*findingBatch + 7
	_, err = d.conn.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s AS SELECT lpad(CAST(i AS VARCHAR), 6, '0') AS id, 'r' AS rule, 'wrong_plan' AS category,
		'high' AS severity, '12345' AS issuer_hios_id, 'P' || lpad(CAST(i AS VARCHAR), 6, '0') AS exchange_policy_id, CAST(NULL AS VARCHAR) AS exchange_member_id,
		CAST(0 AS BIGINT) AS segment, CAST(NULL AS VARCHAR) AS side, MAP {'qhp_id': 'A'} AS marketplace, CAST(NULL AS MAP(VARCHAR, VARCHAR)) AS insurer,
		CAST(NULL AS DECIMAL(18,2)) AS amount, 'm' AS message, 'f.csv' AS m_file, i AS m_line, CAST(NULL AS VARCHAR) AS i_file,
		CAST(NULL AS BIGINT) AS i_line, CAST(NULL AS VARCHAR) AS match_method, 1 AS category_order FROM range(%d) AS t(i)`, relations.FindingsTable, n))
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load(rules.LoadOptions{NoDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &findingStream{db: d.db, rules: set}
	var lines []int64
	if err := s.Each(ctx, "", func(f *reports.Finding) error {
		lines = append(lines, f.MarketplaceSource.Line)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(lines) != n {
		t.Fatalf("read %d findings, want %d", len(lines), n)
	}
	for i := 1; i < len(lines); i++ {
		if lines[i] <= lines[i-1] {
			t.Fatalf("findings out of order at %d: %v", i, lines[i-1:i+1])
		}
	}
	stop := errors.New("writer failed")
	seen := 0
	err = s.Each(ctx, "wrong_plan", func(*reports.Finding) error {
		if seen++; seen == findingBatch+2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || seen != findingBatch+2 {
		t.Fatalf("after a writer error: %v (%d findings seen), want %v at %d", err, seen, stop, findingBatch+2)
	}
}
