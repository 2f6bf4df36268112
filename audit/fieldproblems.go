package audit

import (
	"context"
	"embed"
	"fmt"
	"slices"

	"github.com/enrollaudit/enrollaudit/audit/load"
	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/internal/sqltext"
	"github.com/enrollaudit/enrollaudit/internal/sqltmpl"
)

// fieldUnreadableRule is the rule ID of field problems' findings.
const fieldUnreadableRule = "field-unreadable"

//go:embed fieldproblems.sql
var fieldProblemsFile embed.FS

var fieldProblemsTemplate = sqltmpl.Must(fieldProblemsFile, "fieldproblems.sql")

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
	type side struct{ Side, File, Line, Canon, Rows string }
	var sides []side
	for _, s := range []string{"marketplace", "insurer"} {
		sides = append(sides, side{Side: sqltext.Literal(s), File: file, Line: line, Canon: load.CanonTable(s), Rows: relations.Rows(s).Name})
	}
	value := "p.value"
	if !reveal {
		value = "CASE WHEN p.field = 'ssn' THEN " + canonical.MaskSSNSQL("p.value") + " ELSE " + canonical.MaskSSNsSQL("p.value") + " END"
	}
	return fieldProblemsTemplate.Render("fieldproblems.sql", map[string]any{
		"Sides": sides, "Order": slices.Index(canonical.Categories, "invalid_record"), "Value": value,
	}), nil
}
