module github.com/gale-io/gale/bench

go 1.25.0

require (
	github.com/gale-io/gale v0.0.0-00010101000000-000000000000
	github.com/gorilla/websocket v1.5.3
	github.com/lesismal/llib v1.2.2
	github.com/lesismal/nbio v1.6.7
	github.com/panjf2000/gnet/v2 v2.10.0
	github.com/valyala/fasthttp v1.70.0
	golang.org/x/sys v0.46.0
)

require (
	github.com/andybalholm/brotli v1.2.1 // indirect
	github.com/klauspost/compress v1.18.5 // indirect
	github.com/panjf2000/ants/v2 v2.12.1 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	golang.org/x/crypto v0.48.0 // indirect
	golang.org/x/sync v0.11.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
)

replace github.com/gale-io/gale => ../
