package fakesmtp

import (
	"net/netip"
	"strings"
)

// ValidHelo reports whether name is what RFC 5321 section 4.1.1.1 allows
// after EHLO: a Domain (labels of letters, digits and inner hyphens,
// joined by dots) or an address literal ("[192.0.2.1]",
// "[IPv6:2001:db8::1]", or a general one, "[tag:content]"). Nothing else
// may reach the session, the Received field or a record: no control
// characters, no spaces, no second argument.
func ValidHelo(name string) bool {
	if strings.HasPrefix(name, "[") {
		return validAddressLiteral(name)
	}
	if name == "" || len(name) > 255 {
		return false
	}
	for label := range strings.SplitSeq(name, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

// validLabel: Let-dig [Ldh-str], at most 63 octets (RFC 1035).
func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validAddressLiteral(lit string) bool {
	if len(lit) < 3 || lit[len(lit)-1] != ']' {
		return false
	}
	inner := lit[1 : len(lit)-1]
	if v6, ok := strings.CutPrefix(inner, "IPv6:"); ok {
		a, err := netip.ParseAddr(v6)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(inner); err == nil {
		return a.Is4()
	}
	// General-address-literal: Standardized-tag ":" 1*dcontent, dcontent
	// being printable ASCII but "[", "\" and "]".
	tag, content, ok := strings.Cut(inner, ":")
	if !ok || !validLabel(tag) || content == "" {
		return false
	}
	for i := 0; i < len(content); i++ {
		if c := content[i]; c < 33 || c > 126 || c == '[' || c == '\\' || c == ']' {
			return false
		}
	}
	return true
}
