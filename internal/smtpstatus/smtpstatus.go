// Package smtpstatus reads RFC 3463 enhanced status codes ("5.7.8"): one
// parser for the alert pipeline (sim/alert), the fake server (fakesmtp) and
// the scenario checks, so that they agree on what a code is. sim/alert must
// not import fakesmtp nor fakesmtp sim/alert, so the parser lives below
// both; it is internal because no other module needs it.
package smtpstatus

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Code is an enhanced status code, class.subject.detail.
type Code struct {
	// Class is 2 (success), 4 (persistent transient failure) or 5
	// (permanent failure).
	Class int
	// Subject (0-999) says what the status is about: 7 is security or
	// policy.
	Subject int
	// Detail (0-999) refines the subject: 5.7.8 is bad credentials.
	Detail int
}

// Parse reads an enhanced status code written exactly as RFC 3463 writes
// it: class 2, 4 or 5, then subject and detail of one to three digits, with
// no leading zeros, signs, spaces or anything around them. A reply's first
// word either is such a code or is text, so leniency here would take text
// for a code.
func Parse(s string) (Code, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Code{}, fmt.Errorf("enhanced status code %q: want class.subject.detail, like 5.7.8", s)
	}
	var n [3]int
	for i, name := range [3]string{"class", "subject", "detail"} {
		v, err := number(parts[i])
		if err != nil {
			return Code{}, fmt.Errorf("enhanced status code %q: %s %w", s, name, err)
		}
		n[i] = v
	}
	c := Code{Class: n[0], Subject: n[1], Detail: n[2]}
	if c.Class != 2 && c.Class != 4 && c.Class != 5 {
		return Code{}, fmt.Errorf("enhanced status code %q: class %d is not 2, 4 or 5", s, c.Class)
	}
	return c, nil
}

// number reads 1 to 3 decimal digits without a leading zero: 0-999.
func number(p string) (int, error) {
	switch {
	case p == "":
		return 0, errors.New("is empty")
	case len(p) > 3:
		return 0, fmt.Errorf("%q has more than 3 digits", p)
	case strings.Trim(p, "0123456789") != "":
		return 0, fmt.Errorf("%q is not a number of digits only", p)
	case len(p) > 1 && p[0] == '0':
		return 0, fmt.Errorf("%q has a leading zero", p)
	}
	return strconv.Atoi(p)
}

// String writes the code as Parse reads it.
func (c Code) String() string { return fmt.Sprintf("%d.%d.%d", c.Class, c.Subject, c.Detail) }

// Matches reports whether c may accompany an SMTP reply with the given
// three-digit code: RFC 3463 has the class agree with the reply's first
// digit (5.7.8 goes with 535, not with 454).
func (c Code) Matches(reply int) bool { return c.Class == reply/100 }
