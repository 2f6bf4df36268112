package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Disposition is one answer given to a finding (docs/dispositions.md).
type Disposition struct {
	ID      string // the finding's id
	Status  string // one of canonical.Dispositions
	Comment string
	Until   time.Time // zero when none; required for waived
	// Where the answer was read: Sheet is "" for CSV, Row the 1-based row
	// (CSV: line).
	Sheet string
	Row   int
	// Set by the store: the imported file and who recorded it when.
	Source, SourceSHA256, RecordedBy string
	RecordedAt                       time.Time
}

// DispositionFile is one checked file of answers for RecordDispositions.
type DispositionFile struct {
	Name, SHA256 string
	By           string
	At           time.Time // when recorded (default: now)
	Dispositions []Disposition
}

// KnownFindings returns which of ids the history has seen in any run.
func (s *Store) KnownFindings(ctx context.Context, ids []string) (map[string]bool, error) {
	known := make(map[string]bool, len(ids))
	err := s.each(ctx, "SELECT DISTINCT id FROM finding WHERE id IN (SELECT unnest(?::VARCHAR[]))", func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		known[id] = true
		return nil
	}, ids)
	if err != nil {
		return nil, fmt.Errorf("history: look up findings: %w", err)
	}
	return known, nil
}

// Imported reports when the file of this SHA-256 was recorded, if it was.
func (s *Store) Imported(ctx context.Context, sha256 string) (at time.Time, ok bool, err error) {
	err = s.conn.QueryRowContext(ctx, "SELECT recorded_at FROM disposition_source WHERE sha256 = ?", sha256).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("history: dispositions: %w", err)
	}
	return at, true, nil
}

// RecordDispositions records the files' answers in one transaction: all of
// them or, on error, none. A file recorded before (same SHA-256) is skipped;
// recorded says which were new.
func (s *Store) RecordDispositions(ctx context.Context, files []DispositionFile) (recorded []bool, err error) {
	if s.busy {
		return nil, errors.New("history: a run is being recorded")
	}
	if err := s.guardWAL(); err != nil {
		return nil, err
	}
	if err := s.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	recorded = make([]bool, len(files))
	for i, f := range files {
		if recorded[i], err = s.recordDispositionFile(ctx, f); err != nil {
			return nil, err
		}
	}
	if err := s.exec(ctx, "COMMIT"); err != nil {
		return nil, err
	}
	return recorded, s.exec(ctx, "CHECKPOINT")
}

func (s *Store) recordDispositionFile(ctx context.Context, f DispositionFile) (bool, error) {
	if _, seen, err := s.Imported(ctx, f.SHA256); err != nil || seen {
		return false, err
	}
	at := f.At
	if at.IsZero() {
		at = time.Now()
	}
	c := s.conn
	var id int64
	if err := c.QueryRowContext(ctx, "SELECT coalesce(max(source_id), 0) + 1 FROM disposition_source").Scan(&id); err != nil {
		return false, fmt.Errorf("history: dispositions: %w", err)
	}
	if _, err := c.ExecContext(ctx, "INSERT INTO disposition_source VALUES (?, ?, ?, ?, ?)", id, f.Name, f.SHA256, f.By, at.UTC()); err != nil {
		return false, fmt.Errorf("history: record %s: %w", f.Name, err)
	}
	for i, d := range f.Dispositions {
		var until any
		if !d.Until.IsZero() {
			until = day(d.Until)
		}
		if _, err := c.ExecContext(ctx, "INSERT INTO disposition VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			id, i+1, d.ID, d.Status, d.Comment, until, d.Sheet, d.Row); err != nil {
			return false, fmt.Errorf("history: record %s: %w", f.Name, err)
		}
	}
	return true, nil
}

// dispositionColumns reads a Disposition with its source (scanDisposition).
const dispositionColumns = `d.id, d.status, d.comment, d.until, d.sheet, d.row, s.name, s.sha256, s.recorded_by, s.recorded_at
	FROM disposition d JOIN disposition_source s USING (source_id)`

// dispositionOrder puts a finding's answers in the order they were given;
// dispositionLatest puts its latest first.
const (
	dispositionOrder  = "s.recorded_at, d.source_id, d.position"
	dispositionLatest = "s.recorded_at DESC, d.source_id DESC, d.position DESC"
)

func scanDisposition(rows *sql.Rows) (Disposition, error) {
	var d Disposition
	var until sql.NullTime
	err := rows.Scan(&d.ID, &d.Status, &d.Comment, &until, &d.Sheet, &d.Row, &d.Source, &d.SourceSHA256, &d.RecordedBy, &d.RecordedAt)
	if until.Valid {
		d.Until = until.Time
	}
	return d, err
}

// LatestDispositions gives each finding's latest answer among those
// recorded at or before at: what a run made at that time honours.
func (s *Store) LatestDispositions(ctx context.Context, at time.Time) (map[string]Disposition, error) {
	out := map[string]Disposition{}
	err := s.each(ctx, "SELECT "+dispositionColumns+" WHERE s.recorded_at <= ? QUALIFY row_number() OVER (PARTITION BY d.id ORDER BY "+
		dispositionLatest+") = 1", func(rows *sql.Rows) error {
		d, err := scanDisposition(rows)
		out[d.ID] = d
		return err
	}, at.UTC())
	if err != nil {
		return nil, fmt.Errorf("history: dispositions: %w", err)
	}
	return out, nil
}

// FindingDispositions gives every answer recorded for the finding id, in
// the order they were given.
func (s *Store) FindingDispositions(ctx context.Context, id string) ([]Disposition, error) {
	var out []Disposition
	err := s.each(ctx, "SELECT "+dispositionColumns+" WHERE d.id = ? ORDER BY "+dispositionOrder, func(rows *sql.Rows) error {
		d, err := scanDisposition(rows)
		out = append(out, d)
		return err
	}, id)
	if err != nil {
		return nil, fmt.Errorf("history: dispositions of %s: %w", id, err)
	}
	return out, nil
}

// Waives reports whether d keeps its finding out of a run as of asOf: a
// waiver holds up to and including its Until date.
func (d Disposition) Waives(asOf time.Time) bool {
	return d.Status == "waived" && !d.Until.IsZero() && !day(d.Until).Before(day(asOf))
}
