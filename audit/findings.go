package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/enrollaudit/enrollaudit/audit/relations"
	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/internal/dbexec"
	"github.com/enrollaudit/enrollaudit/reports"
	"github.com/enrollaudit/enrollaudit/rules"
)

// findingStream reads findings back from DuckDB in the report's stable
// order, one at a time, so writers never hold them all.
type findingStream struct {
	db     dbexec.DB
	rules  *rules.Set
	issuer string // only this issuer's findings, when set
}

const findingOrder = "category_order, rule, issuer_hios_id NULLS FIRST, exchange_policy_id NULLS FIRST, exchange_member_id NULLS FIRST, segment, side NULLS FIRST"

// findingSelect reads a finding's columns (canonical.FindingColumns) after
// its id: value maps as JSON, amounts in cents.
var findingSelect = func() string {
	cols := []string{"id"}
	for _, c := range canonical.FindingColumns {
		switch {
		case strings.HasPrefix(c.Type, "MAP"):
			cols = append(cols, "CAST(to_json("+c.Name+") AS VARCHAR)")
		case strings.HasPrefix(c.Type, "DECIMAL"):
			cols = append(cols, "CAST("+c.Name+" * 100 AS BIGINT)")
		default:
			cols = append(cols, c.Name)
		}
	}
	return strings.Join(cols, ", ")
}()

// findingBatch is how many findings the reader hands over at once.
const findingBatch = 256

// Each reads and decodes findings on its own goroutine, a few batches
// ahead of fn: the writers' own work (cells, JSON) then overlaps with
// DuckDB's and the decoding, instead of waiting on it.
func (s *findingStream) Each(ctx context.Context, category string, fn func(*reports.Finding) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*reports.Finding, 4)
	read := make(chan error, 1)
	go func() {
		defer close(batches)
		read <- s.read(ctx, category, func(b []*reports.Finding) error {
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for b := range batches {
		for _, f := range b {
			if err := fn(f); err != nil {
				cancel()
				for range batches {
				}
				<-read
				return err
			}
		}
	}
	return <-read
}

// read passes the findings of category ("" for all) to emit in batches.
func (s *findingStream) read(ctx context.Context, category string, emit func([]*reports.Finding) error) error {
	q := "SELECT " + findingSelect + " FROM " + relations.FindingsTable
	var args []any
	var where []string
	if category != "" {
		where = append(where, "category = ?")
		args = append(args, category)
	}
	if s.issuer != "" {
		where = append(where, "issuer_hios_id = ?")
		args = append(args, s.issuer)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY "+findingOrder, args...)
	if err != nil {
		return fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	batch := make([]*reports.Finding, 0, findingBatch)
	for rows.Next() {
		var (
			err                  error
			f                    = new(reports.Finding)
			issuer, pol, mem     sql.NullString
			side, mFile, iFile   sql.NullString
			mLine, iLine, amount sql.NullInt64
			mVals, iVals, method sql.NullString
		)
		dest := map[string]any{"rule": &f.Rule, "category": &f.Category, "severity": &f.Severity,
			"issuer_hios_id": &issuer, "exchange_policy_id": &pol, "exchange_member_id": &mem, "segment": &f.Segment, "side": &side,
			"marketplace": &mVals, "insurer": &iVals, "amount": &amount, "message": &f.Message,
			"m_file": &mFile, "m_line": &mLine, "i_file": &iFile, "i_line": &iLine, "match_method": &method}
		dests := []any{&f.ID}
		for _, c := range canonical.FindingColumns {
			dests = append(dests, dest[c.Name])
		}
		if err = rows.Scan(dests...); err != nil {
			return fmt.Errorf("read findings: %w", err)
		}
		f.IssuerHIOSID, f.ExchangePolicyID, f.ExchangeMemberID = ptr(issuer), ptr(pol), ptr(mem)
		f.Side = side.String
		if r := s.rules.ByID(f.Rule); r != nil {
			f.Fields = r.Fields
		}
		if f.Marketplace, err = values(mVals); err == nil {
			f.Insurer, err = values(iVals)
		}
		if err != nil {
			return fmt.Errorf("read finding %s: %w", f.ID, err)
		}
		if method.Valid {
			f.Match = &reports.Match{Method: method.String}
			f.Fields = []string{"exchange_policy_id"}
			if f.ExchangeMemberID != nil {
				f.Fields = append(f.Fields, "exchange_member_id")
			}
		}
		if f.Fields == nil && f.Rule == fieldUnreadableRule {
			f.Fields = slices.Sorted(maps.Keys(f.Marketplace))
			f.Fields = append(f.Fields, slices.Sorted(maps.Keys(f.Insurer))...)
		}
		if amount.Valid {
			m := reports.Money(amount.Int64)
			f.MonthlyAmountDifference = &m
		}
		if mFile.Valid {
			f.MarketplaceSource = &reports.Source{File: mFile.String, Line: mLine.Int64}
		}
		if iFile.Valid {
			f.InsurerSource = &reports.Source{File: iFile.String, Line: iLine.Int64}
		}
		if batch = append(batch, f); len(batch) == findingBatch {
			if err := emit(batch); err != nil {
				return err
			}
			batch = make([]*reports.Finding, 0, findingBatch)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return emit(batch)
	}
	return nil
}

func ptr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// values decodes a side's field values (a MAP rendered as JSON); nil when
// that side has no record at all.
func values(js sql.NullString) (map[string]*string, error) {
	if !js.Valid {
		return nil, nil
	}
	out := map[string]*string{}
	err := json.Unmarshal([]byte(js.String), &out)
	return out, err
}

// rejectStream reads the rejects table in file and line order.
type rejectStream struct{ db dbexec.DB }

func (s *rejectStream) EachReject(ctx context.Context, fn func(*reports.Reject) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT side, file, line, field, value, reason FROM rejects ORDER BY side DESC, file, line, field`)
	if err != nil {
		return fmt.Errorf("read rejects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r reports.Reject
		var line sql.NullInt64
		var field, value sql.NullString
		if err := rows.Scan(&r.Side, &r.File, &line, &field, &value, &r.Reason); err != nil {
			return fmt.Errorf("read rejects: %w", err)
		}
		r.Line, r.Field = line.Int64, field.String
		if value.Valid {
			r.Value = &value.String
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}
