// Package docs holds the user-facing specification of enrollaudit's files
// (*.md) and the JSON Schema of report.json, embedded so tests can check
// every report they write against it.
package docs

import _ "embed"

// ReportSchema is the JSON Schema of report.json (report.schema.json).
//
//go:embed report.schema.json
var ReportSchema []byte
