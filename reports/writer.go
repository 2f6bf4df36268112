package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Writer renders a report in one format.
type Writer interface {
	Name() string     // format name, e.g. "json"
	FileName() string // file written in the output directory
	Write(ctx context.Context, w io.Writer, r *Report) error
}

// Lookup returns the writer for a report format name.
func Lookup(name string) (Writer, error) {
	switch name {
	case "json":
		return JSON{}, nil
	case "xlsx":
		return XLSX{}, nil
	case "ndjson":
		return NDJSON{}, nil
	}
	return nil, fmt.Errorf("unknown report format %q (json, xlsx, ndjson)", name)
}

// Publish writes every writer's file into dir under a temporary name, and
// only when all succeeded renames them into place. A failed or interrupted
// run so leaves the previous reports intact and no partial one.
func Publish(ctx context.Context, dir string, r *Report, writers ...Writer) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	var temps []string
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for _, w := range writers {
		f, err := os.CreateTemp(dir, "."+w.FileName()+".*.tmp")
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("write %s: %w", w.FileName(), err)
		}
		temps = append(temps, f.Name())
		err = w.Write(ctx, f, r)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			cleanup()
			if errors.Is(err, context.Canceled) {
				return nil, err
			}
			return nil, fmt.Errorf("write %s: %w", w.FileName(), err)
		}
	}
	var done []string
	for i, w := range writers {
		final := filepath.Join(dir, w.FileName())
		if err := os.Rename(temps[i], final); err != nil {
			cleanup()
			return done, fmt.Errorf("write %s: %w", w.FileName(), err)
		}
		done = append(done, final)
	}
	return done, nil
}
