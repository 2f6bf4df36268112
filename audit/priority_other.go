//go:build !linux

package audit

// lowerThreadPriority is a no-op where a thread's priority cannot be set
// apart from its process's.
func lowerThreadPriority() {}
