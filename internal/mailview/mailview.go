// Package mailview is how a captured message and a server session are
// shown to a person, shared by the bench page (benchweb, live, from its
// JSON API) and a run's report (report, one static file): which fields a
// message shows and how its text part is chosen, its MIME tree, its
// attachments with thumbnails, why a session needs a look, and the
// stylesheet of that view. One place, so that a message looks the same on
// the bench and in a report.
package mailview

import (
	_ "embed"
	"fmt"
	"math"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // headers and text in any charset
	"github.com/emersion/go-message/mail"

	"alertsim/fakesmtp"
)

// CSS is the stylesheet of the message and session view: field lists
// (dl.fields), attachments with their thumbnails (.attachments,
// .attachment), the MIME tree (ul.tree), transcripts (.transcript with
// .C, .S, .N lines), preformatted text, .ok and .bad. The bench page
// serves it as /message.css; a report inlines it.
//
//go:embed message.css
var CSS string

// View is a message as the view shows it.
type View struct {
	// Subject is decoded (RFC 2047).
	Subject string `json:"-"`
	// Headers is the top-level header block as received.
	Headers string `json:"headers"`
	// Text is the first text/plain leaf that is not an attachment.
	Text       string   `json:"text"`
	Parts      []Part   `json:"parts"`
	TLS        *TLSView `json:"tlsInfo,omitempty"`
	ParseError string   `json:"parseError,omitempty"`
}

// Part is one entity of the MIME tree.
type Part struct {
	Path        string `json:"path"`
	Depth       int    `json:"depth"`
	ContentType string `json:"contentType"`
	Filename    string `json:"filename,omitempty"`
	Multipart   bool   `json:"multipart,omitempty"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256,omitempty"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
}

// IsImage reports whether the part is an image the view shows as one: a
// leaf that decoded to dimensions (an SVG never does, so none runs).
func (p Part) IsImage() bool {
	return !p.Multipart && strings.HasPrefix(p.ContentType, "image/") && p.Width > 0
}

// TLSView is a session's TLS.
type TLSView struct {
	Version string `json:"version"`
	Cipher  string `json:"cipher"`
	SNI     string `json:"sni,omitempty"`
}

// String is the TLS as the view's field shows it: "TLS 1.3,
// TLS_AES_128_GCM_SHA256, SNI smtp.gmail.com".
func (t *TLSView) String() string {
	if t == nil {
		return "none"
	}
	s := t.Version + ", " + t.Cipher
	if t.SNI != "" {
		s += ", SNI " + t.SNI
	}
	return s
}

// TLSOf is the view of a session's TLS; nil for none.
func TLSOf(t *fakesmtp.TLSInfo) *TLSView {
	if t == nil {
		return nil
	}
	return &TLSView{Version: t.Version, Cipher: t.CipherSuite, SNI: t.ServerName}
}

// Of is the view of a captured message.
func Of(m *fakesmtp.Message) View {
	v := View{Headers: m.Header(), Parts: []Part{}, TLS: TLSOf(m.TLS), ParseError: m.ParseError, Subject: Subject(m.Header())}
	for _, p := range m.Parts {
		v.Parts = append(v.Parts, Part{Path: p.Path, Depth: p.Depth, ContentType: p.ContentType, Filename: p.Filename, Multipart: p.Multipart, Size: p.Size, SHA256: p.SHA256, Width: p.Width, Height: p.Height})
		if v.Text == "" && !p.Multipart && p.Filename == "" && (p.ContentType == "text/plain" || p.ContentType == "") {
			v.Text = p.Text
		}
	}
	return v
}

// Subject decodes the Subject of a header block (RFC 2047, in any
// charset go-message knows), or returns it as it is where it cannot: the
// message's view and the store's list (emlstore) both read it so.
func Subject(block string) string {
	e, err := message.Read(strings.NewReader(strings.TrimRight(block, "\r\n") + "\r\n\r\n"))
	if e == nil {
		return ""
	}
	h := mail.Header{Header: e.Header}
	s, err := h.Subject()
	if err != nil {
		return h.Get("Subject")
	}
	return s
}

// Size is a byte count as the view shows it (the bench page's script
// has the same rule): "1.4 MB", "105 KB", "300 B".
func Size(n int64) string {
	switch {
	case n > 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n > 1024:
		return fmt.Sprintf("%d KB", int64(math.Round(float64(n)/1024)))
	}
	return fmt.Sprintf("%d B", n)
}
