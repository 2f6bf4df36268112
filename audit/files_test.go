package audit

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// unzipText concatenates the parts of a zip (an .xlsx) in name order: the
// order of entries in the archive is the writer's, not content.
func unzipText(path string) (string, error) {
	r, err := zip.OpenReader(path)
	if err != nil {
		return "", err
	}
	defer r.Close()
	files := slices.Clone(r.File)
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for _, f := range files {
		b.WriteString("== " + f.Name + "\n")
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		_, err = io.Copy(&b, rc)
		rc.Close()
		if err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// readCSV returns every record of a CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
