package load

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/enrollaudit/enrollaudit/fileerr"
)

// ExpandPaths returns the input files that command-line arguments name, in
// order: a file as itself; a directory as every file in it (not
// subdirectories, not hidden files), sorted by name; a glob pattern (*, ?,
// [...]) as the files it matches, sorted. A week's 834s often arrive as
// hundreds of files. A directory or pattern that names no file is an error
// naming it; a plain path that does not exist is left for Check to report.
func ExpandPaths(args []string) ([]string, error) {
	var out []string
	var errs fileerr.List
	for _, arg := range args {
		var paths []string
		var err error
		st, statErr := os.Stat(arg)
		switch {
		case statErr == nil && st.IsDir():
			paths, err = dirFiles(arg)
			if err == nil && len(paths) == 0 {
				errs.Add(arg, 0, "the directory holds no input file")
				continue
			}
		case statErr != nil && strings.ContainsAny(arg, "*?["):
			paths, err = filepath.Glob(arg)
			if err == nil && len(paths) == 0 {
				errs.Add(arg, 0, "the pattern matches no file")
				continue
			}
			paths = slices.DeleteFunc(paths, func(p string) bool {
				st, err := os.Stat(p)
				return err == nil && st.IsDir()
			})
		default:
			paths = []string{arg}
		}
		if err != nil {
			errs.Add(arg, 0, "cannot list input files: "+pathReason(err))
			continue
		}
		slices.Sort(paths)
		out = append(out, paths...)
	}
	return out, errs.Err()
}

func dirFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}
