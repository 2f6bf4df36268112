package audit

import "syscall"

// lowerThreadPriority makes the calling OS thread yield to others (nice
// 19); on Linux a thread's priority is its own. Failure only costs speed.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
