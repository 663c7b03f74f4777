package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"alertsim/fakesmtp"
	"alertsim/internal/smtpstatus"
)

// ServerReply is one reply a server gave, read back from its session's
// transcript: what the device was told.
type ServerReply struct {
	// At is the time since the start of the run.
	At time.Duration
	// Server and Session say who said it: "smtp.gmail.com", 1.
	Server  string
	Session int
	// Stage is what it answered: connect (the greeting), ehlo, starttls,
	// auth, mail, rcpt, data (the DATA command and the end of the
	// message), quit.
	Stage    string
	Code     int
	Enhanced string
	// Text is the reply's text, its lines joined by line feeds, the
	// enhanced code taken off each.
	Text string
}

func (r ServerReply) String() string {
	s := strconv.Itoa(r.Code)
	if r.Enhanced != "" {
		s += " " + r.Enhanced
	}
	return s
}

// replyStages are the stages a reply can answer, by the command before
// it; connect is the greeting.
var replyStages = func() names[string] {
	var ns names[string]
	for _, s := range fakesmtp.Stages() {
		ns = append(ns, named[string]{s, s})
	}
	return append(ns, named[string]{"quit", "quit"})
}()

// commandStage is the stage a client line starts, or "" when it goes on
// the stage before (an AUTH response, message data).
func commandStage(line string) string {
	if strings.HasPrefix(line, "[") || line == fakesmtp.Redacted {
		return "" // [redacted], [message data, ...]: the same exchange
	}
	verb, _, _ := strings.Cut(line, " ")
	switch strings.ToUpper(verb) {
	case "EHLO", "HELO":
		return "ehlo"
	case "STARTTLS":
		return "starttls"
	case "AUTH":
		return "auth"
	case "MAIL":
		return "mail"
	case "RCPT":
		return "rcpt"
	case "DATA", "BDAT":
		return "data"
	case "QUIT":
		return "quit"
	}
	return strings.ToLower(verb)
}

// sessionReplies reads the replies out of a session's transcript.
func sessionReplies(server string, sess fakesmtp.Session, start time.Time) []ServerReply {
	var out []ServerReply
	stage := "connect"
	var text []string
	for _, l := range sess.Transcript {
		switch l.Kind {
		case fakesmtp.Command:
			if s := commandStage(l.Text); s != "" {
				stage = s
			}
		case fakesmtp.Reply:
			code, err := strconv.Atoi(l.Text[:min(3, len(l.Text))])
			if err != nil || len(l.Text) < 3 {
				continue
			}
			rest := strings.TrimPrefix(l.Text[3:], "-")
			rest = strings.TrimPrefix(rest, " ")
			last := len(l.Text) == 3 || l.Text[3] != '-'
			text = append(text, rest)
			if !last {
				continue
			}
			r := ServerReply{At: l.At.Sub(start), Server: server, Session: sess.ID, Stage: stage, Code: code}
			first, _, _ := strings.Cut(rest, " ")
			if _, err := smtpstatus.Parse(first); err == nil {
				r.Enhanced = first
				for i, t := range text {
					text[i] = strings.TrimPrefix(strings.TrimPrefix(t, first), " ")
				}
			}
			r.Text = strings.Join(text, "\n")
			text = nil
			out = append(out, r)
		}
	}
	return out
}

// ExpectReply is a reply a server must have given: its code, and if given
// its enhanced code, its stage, its server and its text.
type ExpectReply struct {
	located
	Code     int        `yaml:"code" schema:"required"`
	Enhanced string     `yaml:"enhanced"`
	Stage    ReplyStage `yaml:"stage"`
	Server   Hostname   `yaml:"server"`
	Text     *Match     `yaml:"text"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (x *ExpectReply) UnmarshalYAML(node ast.Node) error {
	type plain ExpectReply
	return decodeSection(node, (*plain)(x), &x.located)
}

// ReplyStage is what a reply answers, by name.
type ReplyStage string

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (s *ReplyStage) UnmarshalYAML(node ast.Node) error {
	return replyStages.decode(node, "stage", replyStages.listed("stages"), (*string)(s))
}

func (ReplyStage) jsonSchema() map[string]any { return replyStages.schema() }

func (x *ExpectReply) check(l *loader) error {
	if x.Code < 200 || x.Code > 599 {
		return l.at(x.key("code"), fmt.Sprintf("%d is not an SMTP reply code", x.Code), "a code from 200 to 599: 534")
	}
	if c, err := smtpstatus.Parse(x.Enhanced); x.Enhanced != "" && (err != nil || !c.Matches(x.Code)) {
		return l.at(x.key("enhanced"), fmt.Sprintf("%q is not an enhanced status code for a %d reply", x.Enhanced, x.Code), "class.subject.detail, the class matching the code: 5.7.9 for 534")
	}
	return nil
}

func (x *ExpectReply) describe() string {
	s := "reply " + strconv.Itoa(x.Code)
	if x.Enhanced != "" {
		s += " " + x.Enhanced
	}
	if x.Stage != "" {
		s += " at " + string(x.Stage)
	}
	if x.Server != "" {
		s += " from " + string(x.Server)
	}
	if x.Text != nil {
		s += " saying " + x.Text.String()
	}
	return s
}

func (x *ExpectReply) matches(r ServerReply) bool {
	return r.Code == x.Code &&
		(x.Enhanced == "" || r.Enhanced == x.Enhanced) &&
		(x.Stage == "" || r.Stage == string(x.Stage)) &&
		(x.Server == "" || strings.EqualFold(r.Server, string(x.Server))) &&
		(x.Text == nil || x.Text.matches(r.Text))
}

func (x *ExpectReply) judge(r *Result) Check {
	n, first := 0, -1
	var near []string
	for i, got := range r.Replies {
		if x.matches(got) {
			n++
			if first < 0 {
				first = i
			}
		} else if (x.Stage == "" || got.Stage == string(x.Stage)) && got.Code >= 400 {
			near = append(near, got.String()+" at "+got.Stage)
		}
	}
	if n == 0 {
		seen := "no refusal there"
		if len(near) > 0 {
			seen = "refusals seen: " + strings.Join(compactStrings(near), ", ")
		}
		return Check{Text: fmt.Sprintf("%s: not seen (%s)", x.describe(), seen)}
	}
	got := r.Replies[first]
	return Check{OK: true, Text: fmt.Sprintf("%s: seen %d time%s, first at %s (%s #%d)", x.describe(), n, plural(n), Clock(got.At), got.Server, got.Session)}
}

// compactStrings drops repeats, keeping the first of each.
func compactStrings(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
