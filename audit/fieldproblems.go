package audit

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
)

// fieldUnreadableRule is the rule ID of field problems' findings.
const fieldUnreadableRule = "field-unreadable"

//go:embed fieldproblems.sql
var fieldProblemsTemplate string

// emitFieldProblems adds one invalid_record finding (rule field-unreadable)
// per value the loader could not read in a non-key field (README "Inputs").
// The value is shown as every output shows values: an SSN, or anything
// shaped like one, masked to its last four digits unless reveal.
func emitFieldProblems(ctx context.Context, db dbexec.DB, reveal bool) error {
	q, err := fieldProblemsSQL(ctx, db, reveal)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("report unreadable values: %w", err)
	}
	return nil
}

func fieldProblemsSQL(ctx context.Context, db dbexec.DB, reveal bool) (string, error) {
	file, line, err := load.SourceSQL(ctx, db)
	if err != nil {
		return "", err
	}
	var rows []string
	for _, side := range []string{"marketplace", "insurer"} {
		rows = append(rows, fmt.Sprintf(`SELECT '%s' AS side, issuer_hios_id, exchange_policy_id, exchange_member_id,
		  coalesce(occurrence, 1) AS occurrence, %s AS source_file, %s AS source_line, field_problems AS p
		FROM %s AS c WHERE field_problems IS NOT NULL AND reject_reasons IS NULL
		  -- Only rows the audit covers: the rows view leaves out-of-scope issuers out.
		  AND rowid IN (SELECT row_id FROM %s)`, side, file, line, load.CanonTable(side), relations.Rows(side).Name))
	}
	value := "p.value"
	if !reveal {
		value = "CASE WHEN p.field = 'ssn' THEN '*****' || right(p.value, 4) ELSE " + canonical.MaskSSNsSQL("p.value") + " END"
	}
	return strings.NewReplacer(
		"{{rows}}", strings.Join(rows, "\n\t\tUNION ALL "),
		"{{order}}", strconv.Itoa(slices.Index(canonical.Categories, "invalid_record")),
		"{{value}}", value,
	).Replace(fieldProblemsTemplate), nil
}
