package reports

import (
	"math/big"
	"slices"
)

// Cell suppression for published figures (report.html). A reader sees the
// shown figures and knows the identities that tie them together (a total is
// the sum of its rows; this week's open findings are last week's plus new
// minus resolved). A count of 1 to SmallCellThreshold-1 must be hidden, and
// no hidden small count may be recoverable from what is shown through those
// identities: not exactly (linear algebra), and not as a group of fewer than
// SmallCellThreshold (hidden rows of one total must add up to at least that
// many). It is the one implementation: the aggregate-only reports'
// hideRows (through Disclose) and their integrity figures, and the page
// (NewPage), all call suppressCells.

// suppressCell is one figure of a suppression problem.
type suppressCell struct {
	value int64
	// small: a count of people (or of findings, each concerning at least
	// one person) that must be hidden when 1 to SmallCellThreshold-1.
	count bool
	// shown: the page prints this cell unless it is suppressed. A cell that
	// is not shown (people not intact = people - people intact) is hidden
	// from the start but may be derived unless it is small.
	shown bool
}

// identity is a linear relation the reader knows: the sum of coef*value over
// its terms is zero. A total is written as coefficient -1.
type identity []term

type term struct {
	cell int
	coef int64
}

// smallCount reports whether a count must be hidden.
func smallCount(n int64) bool { return n > 0 && n < SmallCellThreshold }

// suppressCells returns which cells are hidden: small counts, then, until
// none is exposed, complements. A small hidden cell is exposed when it is
// the only hidden cell of an identity, when the hidden cells of an identity
// all sit on one side and add up to fewer than SmallCellThreshold, or when
// the identities together determine it. A complement is the smallest shown
// cell (positive first) of an identity that exposes it; cells are hidden,
// never unhidden, so the loop ends.
func suppressCells(cells []suppressCell, ids []identity) []bool {
	hidden := make([]bool, len(cells))
	for i, c := range cells {
		hidden[i] = !c.shown || (c.count && smallCount(c.value))
	}
	needsCover := func(i int) bool { return cells[i].count && smallCount(cells[i].value) }
	for {
		if id, ok := exposedIdentity(cells, ids, hidden, needsCover); ok {
			if hideComplement(cells, id, hidden) {
				continue
			}
		}
		c := determinedCell(ids, hidden, needsCover)
		if c < 0 {
			return hidden
		}
		hid := false
		for _, id := range ids {
			if slices.ContainsFunc(id, func(t term) bool { return t.cell == c }) && hideComplement(cells, id, hidden) {
				hid = true
				break
			}
		}
		for _, id := range ids {
			// Every identity through the cell is hidden whole, yet the
			// others determine it: break another identity that has a
			// hidden cell and a shown one.
			if hid {
				break
			}
			if slices.ContainsFunc(id, func(t term) bool { return hidden[t.cell] }) {
				hid = hideComplement(cells, id, hidden)
			}
		}
		if !hid {
			// Every identity is hidden whole, yet the cell is determined:
			// hide every cell, the only safe answer left.
			for i := range hidden {
				hidden[i] = true
			}
			return hidden
		}
	}
}

// exposedIdentity finds an identity that lets the reader bound a small
// hidden cell: it is the identity's only hidden cell, or the identity's
// hidden cells share one sign and add up to fewer than SmallCellThreshold.
func exposedIdentity(cells []suppressCell, ids []identity, hidden []bool, needsCover func(int) bool) (identity, bool) {
	for _, id := range ids {
		var n int
		var cover bool
		var sum int64
		signs := map[bool]bool{}
		for _, t := range id {
			if hidden[t.cell] {
				n++
				cover = cover || needsCover(t.cell)
				sum += cells[t.cell].value
				signs[t.coef > 0] = true
			}
		}
		if !cover {
			continue
		}
		if n == 1 || (len(signs) == 1 && sum < SmallCellThreshold) {
			if slices.ContainsFunc(id, func(t term) bool { return !hidden[t.cell] }) {
				return id, true
			}
		}
	}
	return nil, false
}

// hideComplement hides the smallest shown positive cell of id (a zero one if
// there is none: it still breaks the identity) and reports whether it hid
// anything.
func hideComplement(cells []suppressCell, id identity, hidden []bool) bool {
	best := -1
	better := func(c int) bool {
		v, b := cells[c].value, cells[best].value
		if (v > 0) != (b > 0) {
			return v > 0
		}
		return (v > 0 && v < b) || (v <= 0 && v > b)
	}
	for _, t := range id {
		if !hidden[t.cell] && (best < 0 || better(t.cell)) {
			best = t.cell
		}
	}
	if best < 0 {
		return false
	}
	hidden[best] = true
	return true
}

// determinedCell returns a small hidden cell whose value the identities fix
// given the shown cells, or -1. With the shown values moved to the right
// side, the hidden cells' coefficients form a matrix; a cell is fixed when
// its unit vector is in the matrix's row space, that is when a row of the
// reduced row echelon form has its only non-zero entry in that cell.
func determinedCell(ids []identity, hidden []bool, needsCover func(int) bool) int {
	col := map[int]int{}
	var cols []int
	for _, id := range ids {
		for _, t := range id {
			if hidden[t.cell] {
				if _, ok := col[t.cell]; !ok {
					col[t.cell] = len(cols)
					cols = append(cols, t.cell)
				}
			}
		}
	}
	var rows [][]*big.Rat
	for _, id := range ids {
		row := make([]*big.Rat, len(cols))
		for j := range row {
			row[j] = new(big.Rat)
		}
		for _, t := range id {
			if hidden[t.cell] {
				row[col[t.cell]].Add(row[col[t.cell]], big.NewRat(t.coef, 1))
			}
		}
		rows = append(rows, row)
	}
	reduceRows(rows, len(cols))
	for _, row := range rows {
		only := -1
		for j, v := range row {
			if v.Sign() != 0 {
				if only >= 0 {
					only = -2
					break
				}
				only = j
			}
		}
		if only >= 0 && needsCover(cols[only]) {
			return cols[only]
		}
	}
	return -1
}

// reduceRows brings rows to reduced row echelon form in place.
func reduceRows(rows [][]*big.Rat, width int) {
	r := 0
	for c := 0; c < width && r < len(rows); c++ {
		p := -1
		for i := r; i < len(rows); i++ {
			if rows[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		rows[r], rows[p] = rows[p], rows[r]
		inv := new(big.Rat).Inv(rows[r][c])
		for j := range rows[r] {
			rows[r][j].Mul(rows[r][j], inv)
		}
		for i := range rows {
			if i == r || rows[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(rows[i][c])
			for j := range rows[i] {
				rows[i][j].Sub(rows[i][j], new(big.Rat).Mul(f, rows[r][j]))
			}
		}
		r++
	}
}
