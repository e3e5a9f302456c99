//go:build !race

package httpclient_test

const raceEnabled = false
