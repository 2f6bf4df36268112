package audit

import (
	"archive/zip"
	"io"
	"strings"
)

// unzipText concatenates the XML parts of a zip (an .xlsx).
func unzipText(path string) (string, error) {
	r, err := zip.OpenReader(path)
	if err != nil {
		return "", err
	}
	defer r.Close()
	var b strings.Builder
	for _, f := range r.File {
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
