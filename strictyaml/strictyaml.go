// Package strictyaml decodes the project's versioned configuration files
// (rule files, mapping files) strictly: `version:` must be the first key,
// unknown keys are errors, and every problem is reported as file:line.
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/enrollaudit/enrollaudit/fileerr"
)

// Decode parses data (read from file) into v, which must be a pointer to a
// struct whose first YAML field is `version`. It returns the document's root
// mapping node, so callers can find the line of any key for later checks.
// When the only problems are unknown keys or mistyped values, the root is
// returned with the error and v holds the rest, so callers can go on
// checking and report every problem at once.
func Decode(file string, data []byte, v any, wantVersion int) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &fileerr.Error{File: file, Msg: "file is empty; it must start with `version: " + strconv.Itoa(wantVersion) + "`"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &fileerr.Error{File: file, Line: root.Line, Msg: "expected a mapping of keys, starting with `version:`"}
	}
	if len(root.Content) < 2 || root.Content[0].Value != "version" {
		return nil, &fileerr.Error{File: file, Line: root.Line, Msg: "`version:` must be the first key"}
	}
	ver := root.Content[1]
	if ver.Value != strconv.Itoa(wantVersion) {
		return nil, &fileerr.Error{File: file, Line: ver.Line, Field: "version",
			Msg: fmt.Sprintf("unsupported version %q (this enrollaudit reads version %d)", ver.Value, wantVersion)}
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return root, yamlError(file, err)
	}
	return root, nil
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var unknownFieldRE = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// yamlError turns the YAML library's messages into file:line errors, one per
// problem (a TypeError carries them all).
func yamlError(file string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var list fileerr.List
	for _, m := range msgs {
		e := &fileerr.Error{File: file, Msg: m}
		if sub := lineRE.FindStringSubmatch(m); sub != nil {
			e.Line, _ = strconv.Atoi(sub[1])
			e.Msg = sub[2]
			if f := unknownFieldRE.FindStringSubmatch(e.Msg); f != nil {
				e.Msg = "unknown key " + strconv.Quote(f[1])
			}
		}
		list = append(list, e)
	}
	return list
}

// KeyLine returns the line of key in mapping node n, or n's own line.
func KeyLine(n *yaml.Node, key string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	return n.Line
}

// Value returns the value node of key in mapping node n, or nil.
func Value(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
