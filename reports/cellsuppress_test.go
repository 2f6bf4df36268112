package reports

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestSuppressCells(t *testing.T) {
	// total = a + b + c, as one table with its total row.
	table := func(total int64, rows ...int64) ([]suppressCell, []identity) {
		cells := []suppressCell{{value: total, count: true, shown: true}}
		id := identity{{0, -1}}
		for _, r := range rows {
			id = append(id, term{len(cells), 1})
			cells = append(cells, suppressCell{value: r, count: true, shown: true})
		}
		return cells, []identity{id}
	}
	cases := []struct {
		name  string
		cells []suppressCell
		ids   []identity
		want  []bool
	}{
		{"nothing small", first(table(60, 20, 40)), second(table(60, 20, 40)), []bool{false, false, false}},
		{"zero is shown", first(table(60, 0, 60)), second(table(60, 0, 60)), []bool{false, false, false}},
		{"small row takes the smallest other row", first(table(75, 5, 30, 40)), second(table(75, 5, 30, 40)), []bool{false, true, true, false}},
		{"two small rows adding to 11 cover each other", first(table(71, 5, 6, 60)), second(table(71, 5, 6, 60)), []bool{false, true, true, false}},
		{"two small rows adding to 9 take a third", first(table(79, 4, 5, 30, 40)), second(table(79, 4, 5, 30, 40)), []bool{false, true, true, true, false}},
		{"small total hides itself and its rows", first(table(7, 3, 4)), second(table(7, 3, 4)), []bool{true, true, true}},
		{
			// people = intact + not intact; not intact is never shown, and
			// when it is small the intact count must go too.
			"derived small cell hides its complement",
			[]suppressCell{{value: 100, count: true, shown: true}, {value: 96, count: true, shown: true}, {value: 4, count: true}},
			[]identity{{{0, -1}, {1, 1}, {2, 1}}},
			[]bool{false, true, true},
		},
		{
			// a derived cell that is not small may stay derivable.
			"derived large cell is fine",
			[]suppressCell{{value: 100, count: true, shown: true}, {value: 60, count: true, shown: true}, {value: 40, count: true}},
			[]identity{{{0, -1}, {1, 1}, {2, 1}}},
			[]bool{false, false, true},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := suppressCells(c.cells, c.ids)
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("hidden = %v, want %v", got, c.want)
				}
			}
		})
	}
}

func first(c []suppressCell, _ []identity) []suppressCell { return c }
func second(_ []suppressCell, ids []identity) []identity  { return ids }

// TestSuppressCellsTwoWay is the case a per-identity rule misses: in a 2x2
// table with row and column totals, hiding one complement per total leaves
// the small cell determined through the other identities.
func TestSuppressCellsTwoWay(t *testing.T) {
	// a b | a+b
	// c d | c+d
	cells, ids := grid([][]int64{{5, 20}, {30, 40}})
	hidden := suppressCells(cells, ids)
	checkProtected(t, cells, ids, hidden)
	if !hidden[0] {
		t.Fatal("small cell shown")
	}
}

// TestSuppressCellsProperty: on random two-way tables of two weeks, with row
// and column totals and the week-over-week change of every cell and row
// total published,
// every small count is hidden and none can be recovered from what is shown.
func TestSuppressCellsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2026))
	for n := range 250 {
		rows, cols := 1+rng.IntN(5), 1+rng.IntN(4)
		week := func() [][]int64 {
			g := make([][]int64, rows)
			for i := range g {
				g[i] = make([]int64, cols)
				for j := range g[i] {
					switch rng.IntN(4) {
					case 0:
						g[i][j] = 0
					case 1:
						g[i][j] = 1 + rng.Int64N(10)
					default:
						g[i][j] = rng.Int64N(80)
					}
				}
			}
			return g
		}
		w1, w2 := week(), week()
		cells, ids := grid(w1)
		c2, id2 := grid(w2)
		off := len(cells)
		for _, id := range id2 {
			moved := identity{}
			for _, tm := range id {
				moved = append(moved, term{tm.cell + off, tm.coef})
			}
			ids = append(ids, moved)
		}
		cells = append(cells, c2...)
		// the change of every cell and row total between the weeks:
		// w2 - w1 - d = 0, d shown (and no count: it may be negative)
		changed := make([]int, 0, rows*cols+rows)
		for i := range rows * cols {
			changed = append(changed, i)
		}
		for i := range rows {
			changed = append(changed, rowTotalCell(rows, cols, i))
		}
		for _, c1 := range changed {
			c2, d := off+c1, len(cells)
			cells = append(cells, suppressCell{value: cells[c2].value - cells[c1].value, shown: true})
			ids = append(ids, identity{{c2, 1}, {c1, -1}, {d, -1}})
		}
		hidden := suppressCells(cells, ids)
		if t.Failed() {
			return
		}
		checkProtected(t, cells, ids, hidden)
		if t.Failed() {
			t.Fatalf("case %d: week 1 %v, week 2 %v, hidden %v", n, w1, w2, hidden)
		}
	}
}

// grid lays out a table's cells row by row, then each row's total, each
// column's total and the grand total, with the identities tying them.
func grid(g [][]int64) ([]suppressCell, []identity) {
	rows, cols := len(g), len(g[0])
	var cells []suppressCell
	add := func(v int64) int {
		cells = append(cells, suppressCell{value: v, count: true, shown: true})
		return len(cells) - 1
	}
	var grand int64
	colSum := make([]int64, cols)
	for i := range g {
		for j := range g[i] {
			add(g[i][j])
			colSum[j] += g[i][j]
			grand += g[i][j]
		}
	}
	var ids []identity
	for i := range g {
		var s int64
		id := identity{}
		for j := range g[i] {
			s += g[i][j]
			id = append(id, term{i*cols + j, 1})
		}
		ids = append(ids, append(id, term{add(s), -1}))
	}
	for j := range cols {
		id := identity{}
		for i := range rows {
			id = append(id, term{i*cols + j, 1})
		}
		ids = append(ids, append(id, term{add(colSum[j]), -1}))
	}
	id := identity{}
	for i := range rows {
		id = append(id, term{rowTotalCell(rows, cols, i), 1})
	}
	ids = append(ids, append(id, term{add(grand), -1}))
	return cells, ids
}

func rowTotalCell(rows, cols, i int) int { return rows*cols + i }

// checkProtected checks, independently of suppressCells' own reasoning,
// that every small count is hidden, that no small hidden count is fixed by
// the identities (adding its unit vector to the hidden part of the
// identities' matrix raises the rank), and that the hidden cells of an
// identity that all add on one side sum to at least SmallCellThreshold.
func checkProtected(t *testing.T, cells []suppressCell, ids []identity, hidden []bool) {
	t.Helper()
	var hcols []int
	index := map[int]int{}
	for i, h := range hidden {
		if h {
			index[i] = len(hcols)
			hcols = append(hcols, i)
		}
	}
	matrix := func(extra int) [][]*big.Rat {
		var m [][]*big.Rat
		for _, id := range ids {
			row := zeroRow(len(hcols))
			for _, tm := range id {
				if hidden[tm.cell] {
					row[index[tm.cell]].Add(row[index[tm.cell]], big.NewRat(tm.coef, 1))
				}
			}
			m = append(m, row)
		}
		if extra >= 0 {
			row := zeroRow(len(hcols))
			row[index[extra]].SetInt64(1)
			m = append(m, row)
		}
		return m
	}
	base := rank(matrix(-1))
	for i, c := range cells {
		if !c.count || !smallCount(c.value) {
			continue
		}
		if !hidden[i] {
			t.Errorf("cell %d (%d) is small and shown", i, c.value)
			continue
		}
		if rank(matrix(i)) == base {
			t.Errorf("cell %d (%d) is hidden but determined by the shown figures", i, c.value)
		}
	}
	for k, id := range ids {
		var sum int64
		pos, neg, small := false, false, false
		for _, tm := range id {
			if hidden[tm.cell] {
				sum += cells[tm.cell].value
				pos, neg = pos || tm.coef > 0, neg || tm.coef < 0
				small = small || (cells[tm.cell].count && smallCount(cells[tm.cell].value))
			}
		}
		if small && pos != neg && sum < SmallCellThreshold {
			t.Errorf("identity %d: hidden cells add up to %d, fewer than %d", k, sum, SmallCellThreshold)
		}
	}
}

func zeroRow(n int) []*big.Rat {
	r := make([]*big.Rat, n)
	for i := range r {
		r[i] = new(big.Rat)
	}
	return r
}

// rank by Gaussian elimination over the rationals.
func rank(m [][]*big.Rat) int {
	if len(m) == 0 {
		return 0
	}
	r := 0
	for c := 0; c < len(m[0]); c++ {
		p := -1
		for i := r; i < len(m); i++ {
			if m[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		m[r], m[p] = m[p], m[r]
		for i := r + 1; i < len(m); i++ {
			if m[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Quo(m[i][c], m[r][c])
			for j := c; j < len(m[i]); j++ {
				m[i][j].Sub(m[i][j], new(big.Rat).Mul(f, m[r][j]))
			}
		}
		r++
	}
	return r
}
