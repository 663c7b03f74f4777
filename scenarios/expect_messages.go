package scenarios

import (
	"fmt"
	"mime"
	"net/textproto"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// ExpectMessage is what one accepted message must be: the server that took
// it, and its headers as the recipient reads them (RFC 2047 decoded), each
// exactly or by a pattern.
type ExpectMessage struct {
	located
	Server  Hostname `yaml:"server"`
	Subject *Match   `yaml:"subject"`
	From    *Match   `yaml:"from"`
	To      *Match   `yaml:"to"`
	// Headers are any other header fields, by name.
	Headers map[string]Match `yaml:"headers"`
	// TLS says whether the session that delivered it was encrypted.
	TLS *bool `yaml:"tls"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (x *ExpectMessage) UnmarshalYAML(node ast.Node) error {
	type plain ExpectMessage
	return decodeSection(node, (*plain)(x), &x.located)
}

// headerOf returns a header field of a message as its recipient reads it:
// the field's value, RFC 2047 words decoded, folded lines joined; "" when
// it has none.
func headerOf(header, name string) string {
	var v string
	for _, line := range strings.Split(strings.ReplaceAll(header, "\r\n", "\n"), "\n") {
		switch {
		case v != "" && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")):
			v += " " + strings.TrimSpace(line)
		case v != "":
			return decodeHeader(v)
		default:
			k, val, ok := strings.Cut(line, ":")
			if ok && textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)) == textproto.CanonicalMIMEHeaderKey(name) {
				v = strings.TrimSpace(val)
				if v == "" {
					v = " " // present but empty: keep reading folded lines
				}
			}
		}
	}
	return decodeHeader(v)
}

func decodeHeader(v string) string {
	v = strings.TrimSpace(v)
	if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return d
	}
	return v
}

func judgeMessages(want []ExpectMessage) judge {
	return func(r *Result) Check {
		var problems []string
		if len(r.Received) != len(want) {
			problems = append(problems, fmt.Sprintf("want %d, the servers accepted %d", len(want), len(r.Received)))
		}
		for i := range min(len(want), len(r.Received)) {
			x, got := &want[i], r.Received[i]
			header := got.Message.Header()
			if x.Server != "" && !strings.EqualFold(got.Server, string(x.Server)) {
				problems = append(problems, fmt.Sprintf("message %d was accepted by %s, not %s", i+1, got.Server, x.Server))
			}
			if x.TLS != nil && *x.TLS != (got.Message.TLS != nil) {
				how := "in plain text"
				if got.Message.TLS != nil {
					how = "over " + got.Message.TLS.Version
				}
				problems = append(problems, fmt.Sprintf("message %d came %s", i+1, how))
			}
			fields := []struct {
				name string
				m    *Match
			}{{"Subject", x.Subject}, {"From", x.From}, {"To", x.To}}
			names := make([]string, 0, len(x.Headers))
			for k := range x.Headers {
				names = append(names, k)
			}
			slices.Sort(names) // the order problems are reported in
			for _, k := range names {
				m := x.Headers[k]
				fields = append(fields, struct {
					name string
					m    *Match
				}{k, &m})
			}
			for _, f := range fields {
				if f.m == nil {
					continue
				}
				if v := headerOf(header, f.name); !f.m.matches(v) {
					problems = append(problems, fmt.Sprintf("message %d's %s is %q, want %s", i+1, f.name, v, f.m))
				}
			}
		}
		if len(problems) == 0 {
			return Check{OK: true, Text: fmt.Sprintf("messages: %d, each as expected", len(want))}
		}
		return Check{Text: "messages: " + strings.Join(problems, "; ")}
	}
}
