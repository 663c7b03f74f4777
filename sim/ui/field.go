// Package ui holds what device models share about their web UIs.
package ui

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
