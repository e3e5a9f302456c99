//go:build !linux

package procstat

import "time"

// Read is only implemented on Linux, which has /proc.
func Read(int) (Sample, error) { return Sample{}, ErrUnsupported }

// ClockTicks returns the traditional 100 Hz.
func ClockTicks() int { return 100 }

// SelfCPU is only implemented on Linux.
func SelfCPU() time.Duration { return 0 }

// AllowedCPUs is only implemented on Linux.
func AllowedCPUs() int { return 0 }

// MachineBusy is only implemented on Linux.
func MachineBusy() (time.Duration, error) { return 0, ErrUnsupported }

// Somaxconn is only implemented on Linux.
func Somaxconn() int { return 0 }
