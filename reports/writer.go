package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
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
	case "html":
		return HTML{}, nil
	}
	return nil, fmt.Errorf("unknown report format %q (json, xlsx, ndjson, html)", name)
}

// Publish writes every writer's file into dir under a temporary name, and
// only when all succeeded renames them into place. A failed or interrupted
// run so leaves the previous reports intact and no partial one. Writers run
// concurrently (the workbook is the slow one), so their sources must allow
// concurrent reads.
func Publish(ctx context.Context, dir string, r *Report, writers ...Writer) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	files := make([]*os.File, len(writers))
	cleanup := func() {
		for _, f := range files {
			if f != nil {
				f.Close() // already closed once written; not if a later one failed to open
				os.Remove(f.Name())
			}
		}
	}
	for i, w := range writers {
		f, err := os.CreateTemp(dir, "."+w.FileName()+".*.tmp")
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("write %s: %w", w.FileName(), err)
		}
		files[i] = f
	}
	// The first writer to fail stops the others.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(writers))
	var wg sync.WaitGroup
	for i, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = writeFile(wctx, files[i], w, r); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := firstError(ctx, writers, errs); err != nil {
		cleanup()
		return nil, err
	}
	// All or nothing: a target that cannot be replaced (a directory, say)
	// fails the publication before any file is renamed into place.
	for _, w := range writers {
		final := filepath.Join(dir, w.FileName())
		if st, err := os.Lstat(final); err == nil && !st.Mode().IsRegular() {
			cleanup()
			return nil, fmt.Errorf("write %s: %s exists and is not a regular file", w.FileName(), final)
		}
	}
	var done []string
	for i, w := range writers {
		final := filepath.Join(dir, w.FileName())
		if err := os.Rename(files[i].Name(), final); err != nil {
			cleanup()
			return done, fmt.Errorf("write %s: %w", w.FileName(), err)
		}
		done = append(done, final)
	}
	return done, nil
}

func writeFile(ctx context.Context, f *os.File, w Writer, r *Report) error {
	err := w.Write(ctx, f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// firstError is the failure to report: the caller's cancellation, else the
// first writer's own error (not one it got because another writer failed).
func firstError(ctx context.Context, writers []Writer, errs []error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var stopped error
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			stopped = fmt.Errorf("write %s: %w", writers[i].FileName(), err)
		default:
			return fmt.Errorf("write %s: %w", writers[i].FileName(), err)
		}
	}
	return stopped
}
