//go:build !unix

package main

import "time"

// processCPU is not known here: stages report no CPU time.
func processCPU() time.Duration { return 0 }
