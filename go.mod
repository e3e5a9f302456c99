module github.com/gale-io/gale

go 1.25.0

require golang.org/x/sys v0.46.0
