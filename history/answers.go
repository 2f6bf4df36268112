package history

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
)

// AnswerFile is a file of answers to findings as read (ReadAnswers), before
// it is checked against the history (CheckAnswers): a filled report.xlsx or
// a CSV file with columns id,disposition,comment,until (docs/dispositions.md).
type AnswerFile struct {
	Path   string // as given
	SHA256 string
	// Author is the workbook's last-modified-by or creator property, when a
	// person's name is there; "" for CSV.
	Author       string
	Dispositions []Disposition
}

// Headers of the columns read (case and surrounding space ignored).
const (
	answerID          = "id"
	answerDisposition = "disposition"
	answerComment     = "comment"
	answerUntil       = "until"
)

// writerNames are the authors spreadsheet libraries and this tool put in
// a workbook: not the person who answered.
var writerNames = []string{"", "enrollaudit", "xuri", "excelize"}

// ReadAnswers reads one file of answers. Problems with its content (an
// unknown disposition, waived without Until, a date that cannot be read)
// are all returned as problems, each naming the file, sheet and row;
// err is for a file that cannot be read at all.
func ReadAnswers(path string) (*AnswerFile, fileerr.List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	a := &AnswerFile{Path: path, SHA256: hex.EncodeToString(sum[:])}
	r := &answerReader{file: a}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		err = r.readWorkbook(data)
	case ".csv", ".txt":
		err = r.readCSV(data)
	default:
		return nil, nil, &fileerr.Error{File: path, Msg: "not a workbook (.xlsx) or CSV file (.csv) of answers"}
	}
	if err != nil {
		return nil, nil, err
	}
	return a, r.problems, nil
}

type answerReader struct {
	file     *AnswerFile
	problems fileerr.List
	epoch    time.Time // day 0 of the workbook's serial dates
}

func (r *answerReader) problem(sheet string, row int, format string, args ...any) {
	r.problems = append(r.problems, answerProblem(r.file.Path, sheet, row, fmt.Sprintf(format, args...)))
}

// answerProblem names the place of an answer: file:line for CSV, file,
// sheet and row for a workbook.
func answerProblem(path, sheet string, row int, msg string) *fileerr.Error {
	if sheet == "" {
		return &fileerr.Error{File: path, Line: row, Msg: msg}
	}
	return &fileerr.Error{File: path, Msg: fmt.Sprintf("sheet %q, row %d: %s", sheet, row, msg)}
}

func (r *answerReader) readWorkbook(data []byte) error {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return &fileerr.Error{File: r.file.Path, Msg: "not a readable workbook: " + err.Error()}
	}
	defer f.Close()
	if p, err := f.GetDocProps(); err == nil {
		for _, name := range []string{p.LastModifiedBy, p.Creator} {
			if name = strings.TrimSpace(name); !slices.Contains(writerNames, strings.ToLower(name)) {
				r.file.Author = name
				break
			}
		}
	}
	r.epoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		r.epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	for _, sheet := range f.GetSheetList() {
		if err := r.readSheet(f, sheet); err != nil {
			return err
		}
	}
	return nil
}

func (r *answerReader) readSheet(f *excelize.File, sheet string) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return &fileerr.Error{File: r.file.Path, Msg: fmt.Sprintf("cannot read sheet %q: %v", sheet, err)}
	}
	defer rows.Close()
	var cols answerColumns
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return &fileerr.Error{File: r.file.Path, Msg: fmt.Sprintf("sheet %q, row %d: %v", sheet, n, err)}
		}
		if n == 1 {
			if cols = findAnswerColumns(cells); !cols.ok() {
				return nil // not a finding sheet
			}
			continue
		}
		r.answer(sheet, n, cols, cells)
	}
	return rows.Error()
}

// answerColumns are the positions of the columns read; -1 when absent.
type answerColumns struct{ id, disposition, comment, until int }

func (c answerColumns) ok() bool { return c.id >= 0 && c.disposition >= 0 }

var noAnswerColumns = answerColumns{-1, -1, -1, -1}

func findAnswerColumns(header []string) answerColumns {
	c := noAnswerColumns
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case answerID:
			c.id = i
		case answerDisposition:
			c.disposition = i
		case answerComment:
			c.comment = i
		case answerUntil:
			c.until = i
		}
	}
	return c
}

func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i])
}

// answer reads one row; a row with nothing in its response cells is a
// finding not answered.
func (r *answerReader) answer(sheet string, row int, cols answerColumns, cells []string) {
	id, status, comment, until := cell(cells, cols.id), cell(cells, cols.disposition), cell(cells, cols.comment), cell(cells, cols.until)
	if status == "" && comment == "" && until == "" {
		return
	}
	d := Disposition{ID: id, Status: strings.ReplaceAll(strings.ToLower(status), " ", "_"), Sheet: sheet, Row: row,
		// The history holds no SSNs: one typed into a comment is masked.
		Comment: canonical.MaskSSNs(comment)}
	ok := true
	switch {
	case id == "":
		r.problem(sheet, row, "an answer without a finding ID")
		ok = false
	case status == "":
		r.problem(sheet, row, "finding %s: Comment or Until without a Disposition (one of %s)", id, strings.Join(canonical.Dispositions, ", "))
		ok = false
	case !canonical.IsDisposition(d.Status):
		r.problem(sheet, row, "finding %s: Disposition %q is not one of %s", id, shown(status), strings.Join(canonical.Dispositions, ", "))
		ok = false
	}
	if until != "" {
		t, err := r.date(until)
		if err != nil {
			r.problem(sheet, row, "finding %s: Until %q is not a date (YYYY-MM-DD)", id, shown(until))
			ok = false
		}
		d.Until = t
	} else if d.Status == "waived" {
		r.problem(sheet, row, "finding %s: waived without an Until date (the waiver's end)", id)
		ok = false
	}
	if ok {
		r.file.Dispositions = append(r.file.Dispositions, d)
	}
}

// shown is a cell's text as an error may quote it: SSN-shaped runs masked,
// long text cut.
func shown(s string) string {
	s = canonical.MaskSSNs(s)
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "..."
	}
	return s
}

// date reads an Until cell: a workbook's serial day number (what a date
// cell holds), or text as ISO or US dates.
func (r *answerReader) date(s string) (time.Time, error) {
	if !r.epoch.IsZero() {
		if serial, err := strconv.ParseFloat(s, 64); err == nil && serial >= 1 && serial < 2958466 {
			return r.epoch.AddDate(0, 0, int(serial)), nil
		}
	}
	for _, layout := range []string{time.DateOnly, "1/2/2006", time.RFC3339, "2006-01-02 15:04:05"} {
		// Before 1900 is a slip (and year 1 would read as no date at all).
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1900 {
			return day(t), nil
		}
	}
	return time.Time{}, errors.New("not a date")
}

func (r *answerReader) readCSV(data []byte) error {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	cols := noAnswerColumns
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &fileerr.Error{File: r.file.Path, Line: pe.Line, Msg: pe.Err.Error()}
			}
			return &fileerr.Error{File: r.file.Path, Msg: err.Error()}
		}
		line, _ := cr.FieldPos(0)
		if !cols.ok() {
			if cols = findAnswerColumns(rec); !cols.ok() {
				return &fileerr.Error{File: r.file.Path, Line: line, Msg: "the header must name the columns id and disposition (and comment, until)"}
			}
			continue
		}
		r.answer("", line, cols, rec)
	}
	if !cols.ok() {
		return &fileerr.Error{File: r.file.Path, Msg: "empty: no header id,disposition,comment,until"}
	}
	return nil
}

// Same reports whether two answers say the same (status, comment, until).
func (d Disposition) Same(o Disposition) bool {
	return d.Status == o.Status && d.Comment == o.Comment && d.Until.Equal(o.Until)
}

// DropUnchanged removes the answers that repeat their finding's latest
// recorded one: a workbook comes back with the answers it was pre-filled
// with, and those are not new answers (nor checked again: a waiver's Until
// may have passed since). It returns how many it removed.
func (a *AnswerFile) DropUnchanged(latest map[string]Disposition) int {
	kept := a.Dispositions[:0]
	for _, d := range a.Dispositions {
		if l, ok := latest[d.ID]; !ok || !l.Same(d) {
			kept = append(kept, d)
		}
	}
	n := len(a.Dispositions) - len(kept)
	a.Dispositions = kept
	return n
}

// CheckAnswers checks answer files against the history and each other:
// every finding ID must be known to the history (known), an Until must not
// be before today, and a finding answered twice must be answered the same
// way. Every problem is listed.
func CheckAnswers(files []*AnswerFile, known map[string]bool, today time.Time) fileerr.List {
	var problems fileerr.List
	today = day(today)
	type place struct {
		file string
		d    Disposition
	}
	first := map[string]place{}
	for _, f := range files {
		for _, d := range f.Dispositions {
			if !known[d.ID] {
				problems = append(problems, answerProblem(f.Path, d.Sheet, d.Row, fmt.Sprintf("finding %s is not in the history (no run has seen it)", d.ID)))
				continue
			}
			if !d.Until.IsZero() && d.Until.Before(today) {
				problems = append(problems, answerProblem(f.Path, d.Sheet, d.Row,
					fmt.Sprintf("finding %s: Until %s is in the past", d.ID, d.Until.Format(time.DateOnly))))
			}
			p, seen := first[d.ID]
			if !seen {
				first[d.ID] = place{f.Path, d}
				continue
			}
			if !p.d.Same(d) {
				where := fmt.Sprintf("row %d", p.d.Row)
				if p.d.Sheet != "" {
					where = fmt.Sprintf("sheet %q, row %d", p.d.Sheet, p.d.Row)
				}
				if p.file != f.Path {
					where = p.file + " " + where
				}
				problems = append(problems, answerProblem(f.Path, d.Sheet, d.Row,
					fmt.Sprintf("finding %s is answered differently at %s", d.ID, where)))
			}
		}
	}
	return problems
}
