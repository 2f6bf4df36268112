package main

import "time"

// stageTimer receives the duration of each stage of a run (run --timings):
// wall time, and the CPU time (user and system) the whole process spent in
// it, 0 where the platform does not say.
type stageTimer func(stage string, wall, cpu time.Duration)

// stageClock times consecutive stages for a stageTimer; a nil timer costs
// nothing.
type stageClock struct {
	report   stageTimer
	start    time.Time
	startCPU time.Duration
}

func newStageClock(t stageTimer) *stageClock {
	c := &stageClock{report: t}
	if t != nil {
		c.start, c.startCPU = time.Now(), processCPU()
	}
	return c
}

// lap reports the stage that ends now, and starts the next.
func (c *stageClock) lap(stage string) {
	if c.report == nil {
		return
	}
	now, cpu := time.Now(), processCPU()
	c.report(stage, now.Sub(c.start), cpu-c.startCPU)
	c.start, c.startCPU = now, cpu
}
