package strictyaml

import (
	"strings"
	"testing"
)

type cfg struct {
	Version int                 `yaml:"version"`
	Name    string              `yaml:"name"`
	Items   []map[string]string `yaml:"items"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"ok", "version: 1\nname: x\n", ""},
		{"empty", "", "x.yaml: file is empty"},
		{"version not first", "name: x\nversion: 1\n", "x.yaml:1: `version:` must be the first key"},
		{"wrong version", "version: 2\n", "x.yaml:1: version: unsupported version \"2\""},
		{"unknown keys all reported", "version: 1\nnam: x\nother: 2\n", "x.yaml:2: unknown key \"nam\"\nx.yaml:3: unknown key \"other\""},
		{"syntax", "version: 1\nname: [\n", "x.yaml:2: did not find expected node content"},
		{"not a mapping", "- a\n", "x.yaml:1: expected a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c cfg
			_, err := Decode("x.yaml", []byte(tt.in), &c, 1)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("version: 1\nname: x\nitems:\n  - {a: b}\n")
	f.Add("version: 1\n&a [*a]")
	f.Fuzz(func(t *testing.T, in string) {
		var c cfg
		_, _ = Decode("f.yaml", []byte(in), &c, 1)
	})
}
