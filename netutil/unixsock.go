package netutil

import (
	"fmt"
	"io/fs"
	"os"
)

// errNotSocket is the cause when BindUnixSocket finds a file that is not a
// socket where the socket should go.
var errNotSocket = fmt.Errorf("%w and is not a socket", fs.ErrExist)

// BindUnixSocket creates a listening Unix-domain stream socket at path,
// non-blocking and close-on-exec, like Tornado's bind_unix_socket:
//
//   - An existing socket file at path is removed first when nothing listens
//     on it any more (a connect is refused); if a server still listens
//     there, BindUnixSocket fails with EADDRINUSE instead of stealing its
//     address (Tornado removes it regardless; remove the file yourself to
//     take over a live socket). Any other kind of file at path is an error
//     (wrapping os.ErrExist) and is left alone.
//   - The socket file's permissions are set to mode (0 means 0600, Tornado's
//     default) after bind; until then they follow the umask, so put
//     sockets that must stay private in a private directory.
//   - On Linux a path starting with '@' (or a NUL byte, as in Tornado) names
//     a socket in the abstract namespace: no file, no removal, no chmod.
//     Elsewhere such a path is refused with an error wrapping
//     ErrUnsupported (write "./@name" for a file of that name).
//
// backlog <= 0 means DefaultBacklog. Close does not remove the file. On
// Windows BindUnixSocket returns an error wrapping ErrUnsupported.
func BindUnixSocket(path string, mode os.FileMode, backlog int) (*Listener, error) {
	if backlog <= 0 {
		backlog = DefaultBacklog
	}
	if mode == 0 {
		mode = 0o600
	}
	return bindUnix(path, mode, backlog)
}
