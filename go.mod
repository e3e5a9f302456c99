module github.com/gale-io/gale

go 1.25.0

require (
	github.com/klauspost/compress v1.18.5
	golang.org/x/sys v0.46.0
)

require (
	github.com/coder/websocket v1.8.14
	github.com/gorilla/websocket v1.5.3
)
