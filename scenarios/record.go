package scenarios

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"alertsim/fakesmtp"
)

// A run record is plain text in four sections: a header (what ran), the
// outcome (each mail, the device's failure log, its evidence), the
// timeline (every step of the device, the network and the servers with its
// virtual time) and the messages (headers and MIME tree verbatim,
// attachment bodies summarized as size, sha256 and dimensions). Everything
// in it is ordered by a stable key, never by the order goroutines ran, so
// the same run renders the same bytes. It is the text of a golden file.

// runRecord is a run, ready to render.
type runRecord struct {
	// Header is the "what ran" section, in order.
	Header []field
	// Outcome lines: one per alert, then the failure log.
	Outcome []string
	// Timeline entries, in any order: Render sorts them.
	Timeline []entry
	// Messages are the captured messages with the server that took them.
	Messages []captured
}

// field is a name and a value of the header section.
type field struct {
	Name, Value string
}

// entry is one line of the timeline.
type entry struct {
	// At is the time since the start of the run.
	At time.Duration
	// Rank orders sources at the same instant, lowest first, so that a
	// cause reads before its effect (the scenario's triggers, then the
	// network, then the ends).
	Rank int
	// Source says where it happened: a device, "net", a server session.
	Source string
	// Seq orders entries of one source at the same instant.
	Seq  int
	Text string
}

// captured is a message and the name of the server that accepted it.
type captured struct {
	Server  string
	Message *fakesmtp.Message
	// Size is the message's size as received (its Raw may be dropped).
	Size int
	// Start is the start of the run, to express the reception time.
	Start time.Time
	// CopyOf is the ID of an earlier message with the same Message-ID,
	// 0 for the first: SMTP's known duplicate, a server that took the
	// message and whose 250 never reached the device, which sent it again.
	CopyOf int
}

// messageIDField is a message's Message-ID field, as sim/alert writes it.
var messageIDField = regexp.MustCompile(`(?im)^Message-Id:[ \t]*(<[^>\r\n]*>)`)

// markCopies marks each message whose Message-ID an earlier one has.
func markCopies(ms []captured) {
	first := map[string]int{}
	for i := range ms {
		m := ms[i].Message
		if len(m.Parts) == 0 {
			continue
		}
		id := messageIDField.FindStringSubmatch(m.Parts[0].Header)
		if id == nil {
			continue
		}
		if n, ok := first[id[1]]; ok {
			ms[i].CopyOf = n
		} else {
			first[id[1]] = m.ID
		}
	}
}

// Render writes the record as text.
func (r *runRecord) Render() []byte {
	var b strings.Builder
	b.WriteString("# alertsim run record\n")
	width := 0
	for _, f := range r.Header {
		width = max(width, len(f.Name))
	}
	for _, f := range r.Header {
		fmt.Fprintf(&b, "%-*s  %s\n", width+1, f.Name+":", f.Value)
	}

	b.WriteString("\n## outcome\n")
	for _, l := range r.Outcome {
		b.WriteString(l + "\n")
	}

	b.WriteString("\n## timeline\n")
	tl := slices.Clone(r.Timeline)
	slices.SortStableFunc(tl, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Seq, b.Seq))
	})
	srcWidth := 0
	for _, e := range tl {
		srcWidth = max(srcWidth, len(e.Source))
	}
	for _, e := range tl {
		lines := strings.Split(strings.TrimRight(e.Text, "\n"), "\n")
		fmt.Fprintf(&b, "%s  %-*s  %s\n", Clock(e.At), srcWidth, e.Source, lines[0])
		// A multi-line text (a device quoting a multi-line reply) goes on
		// under its first line.
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "%*s  %s\n", len("00:00:00.000")+2+srcWidth, "", strings.TrimRight(l, "\r"))
		}
	}

	b.WriteString("\n## messages\n")
	if len(r.Messages) == 0 {
		b.WriteString("none\n")
	}
	for _, c := range r.Messages {
		renderMessage(&b, c)
	}
	return []byte(b.String())
}

// Clock formats a time since the start of a run as hh:mm:ss.mmm, hours
// growing past 24 for long runs.
func Clock(d time.Duration) string {
	d = d.Truncate(time.Millisecond)
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	s := d / time.Second
	d -= s * time.Second
	return fmt.Sprintf("%02d:%02d:%02d.%03d", h, m, s, d/time.Millisecond)
}

func renderMessage(b *strings.Builder, c captured) {
	m := c.Message
	fmt.Fprintf(b, "\nmessage %d: %d bytes, received %s by %s (session %d)\n",
		m.ID, c.Size, Clock(m.Received.Sub(c.Start)), c.Server, m.Session)
	if c.CopyOf != 0 {
		fmt.Fprintf(b, "  message %d is a copy of message %d (the same Message-ID): the device sent the mail again\n", m.ID, c.CopyOf)
	}
	to := make([]string, len(m.To))
	for i, t := range m.To {
		to[i] = "<" + t + ">"
	}
	fmt.Fprintf(b, "  envelope: <%s> -> %s\n", m.From, strings.Join(to, ", "))
	if m.TLS != nil {
		fmt.Fprintf(b, "  tls: %s\n", m.TLS)
	} else {
		b.WriteString("  tls: none\n")
	}
	if m.AuthUser != "" {
		fmt.Fprintf(b, "  auth: %s %s\n", m.AuthMechanism, m.AuthUser)
	} else {
		b.WriteString("  auth: none\n")
	}
	if m.ParseError != "" {
		fmt.Fprintf(b, "  mime error: %s\n", m.ParseError)
	}
	for _, p := range m.Parts {
		indent := strings.Repeat("  ", p.Depth+1)
		if p.Depth > 0 {
			name := ""
			if p.Filename != "" {
				name = " " + p.Filename
			}
			fmt.Fprintf(b, "%spart %s: %s%s\n", indent[2:], p.Path, p.ContentType, name)
		}
		for _, l := range strings.Split(strings.TrimRight(p.Header, "\r\n"), "\r\n") {
			fmt.Fprintf(b, "%s| %s\n", indent, l)
		}
		switch {
		case p.Multipart:
		case p.Text != "" && p.Filename == "":
			for _, l := range strings.Split(strings.TrimRight(p.Text, "\r\n"), "\n") {
				fmt.Fprintf(b, "%s> %s\n", indent, strings.TrimRight(l, "\r"))
			}
		default:
			fmt.Fprintf(b, "%sbody: %d bytes, sha256 %s", indent, p.Size, p.SHA256)
			if p.Width > 0 {
				fmt.Fprintf(b, ", %dx%d", p.Width, p.Height)
			}
			b.WriteString("\n")
		}
	}
}
