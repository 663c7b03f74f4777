package netem

import "fmt"

// MinMTU and MaxMTU bound an interface or path MTU: the datagram every IPv4
// host must accept (RFC 791) and the largest an IPv4 length field holds.
const (
	MinMTU = 576
	MaxMTU = 65535
)

// CheckMTU reports an MTU outside MinMTU-MaxMTU.
func CheckMTU(mtu int) error {
	if mtu < MinMTU || mtu > MaxMTU {
		return fmt.Errorf("MTU %d is outside %d-%d", mtu, MinMTU, MaxMTU)
	}
	return nil
}
