// Package uitest checks device models' settings validation: each bad
// input must be refused with the web UI's wording, on the field that holds
// it.
package uitest

import (
	"errors"
	"testing"

	"alertsim/sim/ui"
)

// Case is one bad input.
type Case[S any] struct {
	Name   string
	Mutate func(*S)
	// Field and Message are the refusal the UI gives.
	Field, Message string
}

// Validator is a model's settings.
type Validator interface{ Validate() error }

// Run checks that good() validates and that each case, applied to good(),
// is refused as it says.
func Run[S Validator](t *testing.T, good func() S, cases []Case[S]) {
	t.Helper()
	if err := good().Validate(); err != nil {
		t.Fatalf("good settings refused: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			s := good()
			tc.Mutate(&s)
			err := s.Validate()
			var fe *ui.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate = %v, want a field error", err)
			}
			if fe.Field != tc.Field || fe.Message != tc.Message {
				t.Errorf("Validate = %s: %q, want %s: %q", fe.Field, fe.Message, tc.Field, tc.Message)
			}
		})
	}
}

// Bad returns a Case: settings changed by mutate must be refused on field
// with message.
func Bad[S any](name string, mutate func(*S), field, message string) Case[S] {
	return Case[S]{Name: name, Mutate: mutate, Field: field, Message: message}
}
