// Package ui holds what device models share about their web UIs.
package ui

import (
	"net/mail"
	"strings"
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

// InvalidAddress is the wording device UIs share for a malformed address.
const InvalidAddress = "You MUST enter a valid e-mail address format"
