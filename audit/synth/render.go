package synth

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Renderings are the other formats the marketplace file can be written in
// besides CSV, with the file name each is written to.
var Renderings = map[string]string{
	"834":  "marketplace.834",
	"rcni": "marketplace.rcni",
}

// Render writes DIR/marketplace.csv, as Generate wrote it, again in format
// (a key of Renderings) beside it, and returns the new file's path. The
// findings are those of the CSV file, except that RCNI has no terminated
// status.
func Render(dir, format string) (string, error) {
	name, ok := Renderings[format]
	if !ok {
		return "", fmt.Errorf("no %q rendering: use 834 or rcni", format)
	}
	write := map[string]func(io.Writer, io.Reader) error{"834": WriteX12, "rcni": WriteRCNI}[format]
	in, err := os.Open(filepath.Join(dir, "marketplace.csv"))
	if err != nil {
		return "", fmt.Errorf("render %s: %w", format, err)
	}
	defer in.Close()
	path := filepath.Join(dir, name)
	out, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", format, err)
	}
	if err := write(out, in); err != nil {
		out.Close()
		return "", fmt.Errorf("render %s: %w", format, err)
	}
	if err := out.Close(); err != nil {
		return "", fmt.Errorf("render %s: %w", format, err)
	}
	return path, nil
}
