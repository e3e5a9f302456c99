package tcpclient

import "net/netip"

// interleave orders addrs for connection attempts as RFC 8305 section 4
// asks, with a First Address Family Count of 1: an address of the family of
// the first one, then one of the other family, and so on while both last,
// then the rest of whichever remains. Within a family the resolver's order
// (RFC 6724's preference, for DNS) is kept. A list of one family is
// returned as is; otherwise the result is a new slice.
func interleave(addrs []netip.AddrPort) []netip.AddrPort {
	if len(addrs) < 2 {
		return addrs
	}
	first := is4(addrs[0])
	mixed := false
	for _, a := range addrs[1:] {
		if is4(a) != first {
			mixed = true
			break
		}
	}
	if !mixed {
		return addrs
	}
	out := make([]netip.AddrPort, 0, len(addrs))
	i, j := 0, 0 // the next candidates of the first and the other family
	for len(out) < len(addrs) {
		for i < len(addrs) && is4(addrs[i]) != first {
			i++
		}
		if i < len(addrs) {
			out = append(out, addrs[i])
			i++
		}
		for j < len(addrs) && is4(addrs[j]) == first {
			j++
		}
		if j < len(addrs) {
			out = append(out, addrs[j])
			j++
		}
	}
	return out
}

func is4(a netip.AddrPort) bool { return a.Addr().Unmap().Is4() }
