// Command enrollbench measures the audit against a hand-written DuckDB SQL
// baseline doing the same loads, join and comparisons, on generated data of
// given sizes. Each side runs as a child process so its wall time and peak
// resident memory are its own. See README "Performance".
package main

import "os"

func main() { os.Exit(benchMain(os.Args[1:], os.Stdout, os.Stderr)) }
