// Package ui holds what device models share about their web UIs.
package ui

import (
	"net/mail"
	"net/netip"
	"regexp"
	"strings"
	"unicode"
)

// FieldError is a setting the web UI refuses to save: Message is the UI's
// own wording, Field the settings key it belongs to ("sender_address"), so
// that a scenario loader can point at the line that set it.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// Reject returns a FieldError.
func Reject(field, message string) error { return &FieldError{Field: field, Message: message} }

// ValidAddress reports whether s is a bare e-mail address (no display
// name) with a dotted domain, as device UIs check before saving.
func ValidAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

// ValidHost reports whether s is what an SMTP server field takes: a host
// name (letters, digits and hyphens, in labels joined by dots) or an IPv4
// address. Device pages refuse anything else before saving, so nothing
// with a space or a control character reaches a log, a record or a DNS
// question.
func ValidHost(s string) bool {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Is4()
	}
	return hostName.MatchString(s)
}

var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

// Printable reports whether s holds no control character: a name the page
// shows and puts into mail (a camera's name) must be one line.
func Printable(s string) bool {
	return !strings.ContainsFunc(s, unicode.IsControl)
}

// InvalidAddress is the wording device UIs share for a malformed address.
const InvalidAddress = "You MUST enter a valid e-mail address format"
