package netutil

import "os"

func bindUnix(string, os.FileMode, int) (*Listener, error) {
	return nil, unsupported("BindUnixSocket")
}
