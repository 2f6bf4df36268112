package audit

import (
	"strconv"
	"strings"
)

// inMemoryShare is the share of DuckDB's memory limit the inputs may take
// on disk for the working tables to be kept in memory. Loaded, the
// canonical tables take about as much as the files (text uncompressed,
// amounts and dates typed); keys, pairs and findings come on top. At 500k
// members a side (190 MB of CSV) the run then peaks at about 650 MiB.
const inMemoryShare = 4

// workingInMemory says whether a run whose inputs' rows come to inputBytes
// of text (inputSize: what a CSV of them takes on disk) keeps its working
// tables in memory rather than in a database file.
//
// Writing the loaded tables to a file costs about as much as reading the
// CSV (at 500k members a side, 1 s of a 9 s run, measured): worth paying
// only when the tables outgrow the memory limit. Then a file is cheaper:
// DuckDB drops blocks it can read back from it, where an in-memory table's
// blocks are written to a spill file on every eviction (at 10M members a
// side, about 19 GB of writes a run). A limit it cannot read (DuckDB
// checks it) keeps the file.
func workingInMemory(inputBytes int64, memoryLimit string) bool {
	limit, ok := byteSize(memoryLimit)
	return ok && inputBytes*inMemoryShare <= limit
}

// byteSize reads a size as DuckDB's memory_limit takes it: a number and a
// unit, KB/MB/GB/TB in powers of 1000 and KiB/MiB/GiB/TiB in powers of 1024.
func byteSize(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, false
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, false
	}
	units := map[string]float64{
		"b": 1, "byte": 1, "bytes": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}
	u, ok := units[strings.TrimSpace(s[i:])]
	if !ok {
		return 0, false
	}
	return int64(n * u), true
}
