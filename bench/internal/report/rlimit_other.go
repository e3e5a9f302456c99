//go:build !unix

package report

func noFile() (soft, hard uint64) { return 0, 0 }
