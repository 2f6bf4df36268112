package load

import (
	"context"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
	"github.com/enrollaudit/enrollaudit/fileerr"
)

// xlsxReader streams a worksheet row by row through excelize. Cells are read
// raw (dates as Excel serial numbers, amounts without currency formatting);
// the normaliser turns serials in date fields into dates.
type xlsxReader struct{}

func (xlsxReader) Load(ctx context.Context, t *Target, src Source) error {
	f, err := excelize.OpenFile(src.Path)
	if err != nil {
		return &fileerr.Error{File: src.Path, Msg: "cannot open as an Excel workbook: " + err.Error()}
	}
	defer f.Close()
	sheet := ""
	if src.Mapping != nil && src.Mapping.Sheet != "" {
		sheet = src.Mapping.Sheet
		if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
			return &fileerr.Error{File: src.Path, Msg: fmt.Sprintf("no sheet %q (sheets: %s)", sheet, strings.Join(f.GetSheetList(), ", "))}
		}
	} else {
		// A hidden sheet is not the roster (lookups, an old copy): the
		// first visible one is, unless the mapping names another.
		var hidden []string
		for _, name := range f.GetSheetList() {
			if visible, err := f.GetSheetVisible(name); err == nil && !visible {
				hidden = append(hidden, name)
				continue
			}
			sheet = name
			break
		}
		if sheet == "" {
			return &fileerr.Error{File: src.Path, Msg: "every sheet is hidden: name the one to read with sheet: in a mapping file"}
		}
		if len(hidden) > 0 {
			t.Warn(fmt.Sprintf("%s: skipped hidden sheet(s) %s and read %q (name a sheet with sheet: in a mapping file)", src.Path, strings.Join(quoteAll(hidden), ", "), sheet))
		}
	}
	// Workbooks made on old Macs count days from 1904: read with the 1900
	// system, every date would be 1,462 days early.
	epoch := excelEpoch1900
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		epoch = excelEpoch1904
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return &fileerr.Error{File: src.Path, Msg: fmt.Sprintf("cannot read sheet %q: %v", sheet, err)}
	}
	defer rows.Close()

	var rt *rowTable
	var line int64
	for rows.Next() {
		line++
		if line%4096 == 0 && ctx.Err() != nil {
			if rt != nil {
				rt.Abort(ctx, t)
			}
			return ctx.Err()
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			if rt != nil {
				rt.Abort(ctx, t)
			}
			return &fileerr.Error{File: src.Path, Line: int(line), Msg: "cannot read row: " + err.Error()}
		}
		if rt == nil {
			if blank(cells) {
				continue // leading empty rows before the header
			}
			headers := make([]string, len(cells))
			for i, c := range cells {
				headers[i] = strings.TrimSpace(c)
			}
			if rt, err = newRowTable(ctx, t, headers); err != nil {
				return err
			}
			continue
		}
		if blank(cells) {
			continue
		}
		if len(cells) > len(rt.headers) && !blank(cells[len(rt.headers):]) {
			if err := t.Reject(ctx, canonical.Reject{File: src.Path, Line: int(line),
				Reason: fmt.Sprintf("row has %d cells but the header has %d columns", len(cells), len(rt.headers))}); err != nil {
				rt.Abort(ctx, t)
				return err
			}
			continue
		}
		if err := rt.Append(line, cells); err != nil {
			rt.Abort(ctx, t)
			return fmt.Errorf("stage %s row %d: %w", src.Path, line, err)
		}
	}
	if err := rows.Error(); err != nil {
		if rt != nil {
			rt.Abort(ctx, t)
		}
		return &fileerr.Error{File: src.Path, Msg: "cannot read sheet: " + err.Error()}
	}
	if rt == nil {
		return &fileerr.Error{File: src.Path, Msg: fmt.Sprintf("sheet %q is empty: expected a header row", sheet)}
	}
	return rt.Finish(ctx, t, Relation{ExcelEpoch: epoch})
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
