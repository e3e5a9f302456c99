package netutil

// Solaris and illumos (whose builds also carry the solaris tag) have no
// SO_REUSEPORT in golang.org/x/sys; BindSockets refuses ReusePort.
const reusePortSupported = false

func setReusePort(int) error { return unsupported("SO_REUSEPORT") }
