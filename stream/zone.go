package stream

import (
	"net"
	"strconv"
)

// zoneIndex is the interface index an IPv6 zone names: an interface's name
// or, as Go's net package also takes it, its index (RFC 4007 section 11.2).
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	n, _ := strconv.ParseUint(zone, 10, 32)
	return uint32(n)
}
