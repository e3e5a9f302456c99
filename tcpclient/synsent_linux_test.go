package tcpclient_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// synSent counts this network namespace's TCP sockets in SYN_SENT towards
// port, from /proc/net/tcp and tcp6; ok is false if it cannot tell.
func synSent(port uint16) (n int, ok bool) {
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			return 0, false
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st ...; addresses are HEX:PORT.
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "02" {
				continue
			}
			i := strings.LastIndexByte(fields[2], ':')
			p, err := strconv.ParseUint(fields[2][i+1:], 16, 16)
			if err == nil && uint16(p) == port {
				n++
			}
		}
		f.Close()
	}
	return n, true
}
