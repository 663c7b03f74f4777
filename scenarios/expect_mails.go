package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"alertsim/sim/alert"
)

// ExpectMail is what became of one of the device's mails: its kind
// ("motion", "heartbeat"), its attempts, the classes of its failed
// attempts in order, and its outcome.
type ExpectMail struct {
	located
	Kind     string       `yaml:"kind"`
	Attempts *int         `yaml:"attempts"`
	Failures *[]Class     `yaml:"failures"`
	Outcome  *MailOutcome `yaml:"outcome"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (x *ExpectMail) UnmarshalYAML(node ast.Node) error {
	type plain ExpectMail
	return decodeSection(node, (*plain)(x), &x.located)
}

// MailOutcome is delivered or failed.
type MailOutcome bool

var mailOutcomes = names[bool]{{"delivered", true}, {"failed", false}}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (o *MailOutcome) UnmarshalYAML(node ast.Node) error {
	return mailOutcomes.decode(node, "outcome", "delivered or failed", (*bool)(o))
}

func (MailOutcome) jsonSchema() map[string]any { return mailOutcomes.schema() }

func classNames(cs []alert.Class) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func judgeMails(want []ExpectMail) judge {
	return func(r *Result) Check {
		var problems []string
		if len(r.Mails) != len(want) {
			problems = append(problems, fmt.Sprintf("want %d, the device mailed %d", len(want), len(r.Mails)))
		}
		for i := range min(len(want), len(r.Mails)) {
			x, got := &want[i], r.Mails[i]
			n := got.Mail
			if x.Kind != "" && x.Kind != got.Kind {
				problems = append(problems, fmt.Sprintf("mail %d is a %s, not a %s", n, got.Kind, x.Kind))
			}
			if x.Attempts != nil && *x.Attempts != got.Attempts {
				problems = append(problems, fmt.Sprintf("mail %d took %d attempt%s, want %d", n, got.Attempts, plural(got.Attempts), *x.Attempts))
			}
			if x.Failures != nil {
				wantClasses := make([]alert.Class, len(*x.Failures))
				for j, c := range *x.Failures {
					wantClasses[j] = alert.Class(c)
				}
				if !slices.Equal(wantClasses, got.Failures) {
					problems = append(problems, fmt.Sprintf("mail %d failed %s, want %s", n, classNames(got.Failures), classNames(wantClasses)))
				}
			}
			if x.Outcome != nil && bool(*x.Outcome) != got.Delivered {
				problems = append(problems, fmt.Sprintf("mail %d %s, want %s", n, mailOutcomes.nameOf(got.Delivered), mailOutcomes.nameOf(bool(*x.Outcome))))
			}
		}
		if len(problems) == 0 {
			return Check{OK: true, Text: fmt.Sprintf("mails: %d, each as expected", len(want))}
		}
		return Check{Text: "mails: " + strings.Join(problems, "; ")}
	}
}
