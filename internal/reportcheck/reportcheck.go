// Package reportcheck validates report.json documents against
// docs/report.schema.json, for tests.
package reportcheck

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/enrollaudit/enrollaudit/docs"
)

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(docs.ReportSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("report.schema.json")
})

// Validate checks one report.json against the schema.
func Validate(report []byte) error {
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("compile report schema: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(report))
	if err != nil {
		return fmt.Errorf("report.json is not JSON: %w", err)
	}
	return sch.Validate(v)
}
