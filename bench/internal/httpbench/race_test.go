//go:build race

package httpbench

const raceEnabled = true
