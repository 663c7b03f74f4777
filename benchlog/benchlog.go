// Package benchlog writes one line per session event of `alertsim serve`:
// connect, TLS, AUTH (never a password), refusals, timeouts, messages
// stored, evictions, closes. The text format is logfmt (key=value, a value
// quoted when it holds a space or a quote), keys always in the same order,
// so that grep and awk work on it; the JSON format has the same keys, one
// object a line.
//
//	2026-12-01T14:48:17.664Z server=submission session=3 event=auth-failed remote=192.0.2.7:40122 mech=PLAIN user=camera reply="535 5.7.8 Error: authentication failed"
package benchlog

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"alertsim/fakesmtp"
)

// Logger writes events to W, one line each, whole lines even from many
// sessions at once.
type Logger struct {
	W io.Writer
	// JSON writes JSON objects instead of logfmt.
	JSON bool

	mu sync.Mutex
}

// Field is one key and value of a line.
type Field struct{ Key, Value string }

// Event logs a session event of the server called server.
func (l *Logger) Event(server string, e fakesmtp.Event) {
	f := []Field{{"server", server}}
	if e.Session != 0 {
		f = append(f, Field{"session", strconv.Itoa(e.Session)})
	}
	f = append(f, Field{"event", string(e.Kind)})
	if e.Remote != "" {
		f = append(f, Field{"remote", e.Remote})
	}
	if e.Kind == fakesmtp.EventConnect {
		f = append(f, Field{"local", e.Local}, Field{"mode", e.Mode.String()})
	}
	if e.TLS != nil {
		f = append(f, Field{"tls", e.TLS.Version}, Field{"cipher", e.TLS.CipherSuite})
		if e.TLS.ServerName != "" {
			f = append(f, Field{"sni", e.TLS.ServerName})
		}
	}
	if e.Mechanism != "" {
		f = append(f, Field{"mech", e.Mechanism})
	}
	if e.User != "" {
		f = append(f, Field{"user", e.User})
	}
	if e.Command != "" {
		f = append(f, Field{"command", e.Command})
	}
	if e.Reply != "" {
		f = append(f, Field{"reply", e.Reply})
	}
	if e.Reason != "" {
		f = append(f, Field{"reason", e.Reason})
	}
	if m := e.Message; m != nil {
		f = append(f, Field{"from", m.From}, Field{"to", strings.Join(m.To, ",")}, Field{"size", strconv.FormatInt(m.Size, 10)})
		if n := len(m.Attachments()); n > 0 {
			f = append(f, Field{"attachments", strconv.Itoa(n)})
		}
		if m.TLS != nil {
			f = append(f, Field{"tls", m.TLS.Version})
		}
		if m.AuthUser != "" {
			f = append(f, Field{"user", m.AuthUser})
		}
		if m.StoreKey != "" {
			f = append(f, Field{"key", m.StoreKey})
		}
	}
	l.Line(e.Time, f...)
}

// Line logs any line: the time, then the fields in order.
func (l *Logger) Line(at time.Time, fields ...Field) {
	var b strings.Builder
	stamp := at.UTC().Format("2006-01-02T15:04:05.000Z")
	if l.JSON {
		b.WriteString(`{"time":`)
		writeJSON(&b, stamp)
		for _, f := range fields {
			b.WriteByte(',')
			writeJSON(&b, f.Key)
			b.WriteByte(':')
			writeJSON(&b, f.Value)
		}
		b.WriteString("}\n")
	} else {
		b.WriteString(stamp)
		for _, f := range fields {
			fmt.Fprintf(&b, " %s=%s", f.Key, quote(f.Value))
		}
		b.WriteByte('\n')
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.W, b.String())
}

func writeJSON(b *strings.Builder, s string) {
	out, _ := json.Marshal(s)
	b.Write(out)
}

// quote leaves a plain value as it is and quotes one with spaces, quotes,
// equals signs or control characters (Go syntax, so a line never breaks).
func quote(v string) string {
	if v != "" && !strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == '"' || r == '=' || r == 0x7f || r > 0x7e }) {
		return v
	}
	return strconv.Quote(v)
}
