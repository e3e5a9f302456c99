//go:build unix

package stream_test

type uintptrOrInt = int
