// Package sqltext writes values into DuckDB SQL text: the one place that
// quotes them, for the engine, the loaders, the rules and the benchmark.
package sqltext

import "strings"

// Literal is s as a SQL string literal, its quotes doubled.
func Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
