package report

import (
	"fmt"
	"io"
	"strings"

	"alertsim/fakesmtp"
	"alertsim/internal/mailview"
	"alertsim/scenarios"
)

// A message is shown as the bench page shows one (mailview: the same
// fields, text part, attachments with their images, MIME tree and
// headers), from the server's capture; its raw source is not, since a
// burst of snapshots is megabytes of base64 that say nothing more.

type messageView struct {
	ID          int
	Subject     string
	Fields      []field
	Text        string
	Attachments []attachmentView
	Tree        []string
	Headers     string
	Session     string
	Lane        int
}

type field struct{ Name, Value string }

type attachmentView struct {
	Name, Info string
	Image      *imageUse
	Why        string // why an image part shows no image
}

func messageViewOf(res *scenarios.Result, m *fakesmtp.Message, images *imagePool, laneOf map[string]int) messageView {
	v := mailview.Of(m)
	server := ""
	for _, s := range res.Sessions {
		if s.ID == m.Session && s.Remote == m.Remote {
			server = s.Source
		}
	}
	out := messageView{ID: m.ID, Subject: v.Subject, Text: v.Text, Headers: v.Headers, Session: server, Lane: -1}
	if l, ok := laneOf[server]; ok {
		out.Lane = l
	}
	if out.Subject == "" {
		out.Subject = "(no subject)"
	}
	login := ""
	if m.AuthUser != "" {
		login = fmt.Sprintf("%s (%s)", m.AuthUser, m.AuthMechanism)
	}
	for _, f := range []field{
		{"From", m.From}, {"To", strings.Join(m.To, ", ")},
		{"Received", fmt.Sprintf("%s (%s UTC), by %s", clockOf(res, m.Received), m.Received.UTC().Format("2006-01-02 15:04:05.000"), server)},
		{"Client", fmt.Sprintf("%s (%s)", m.Remote, m.Helo)}, {"TLS", v.TLS.String()}, {"Login", login},
		{"Size", mailview.Size(m.Size)}, {"Parse error", v.ParseError},
	} {
		if f.Value != "" {
			out.Fields = append(out.Fields, f)
		}
	}
	if out.Text == "" {
		out.Text = "(no text part)"
	}
	for _, p := range v.Parts {
		t := strings.Repeat("  ", p.Depth) + cmpOr(p.Path, "message") + "  " + p.ContentType
		if p.Filename != "" {
			t += "  " + p.Filename
		}
		t += "  " + mailview.Size(int64(p.Size))
		if p.SHA256 != "" {
			t += "  sha256 " + p.SHA256[:16] + "…"
		}
		out.Tree = append(out.Tree, t)
		if p.Filename == "" || p.Multipart {
			continue
		}
		a := attachmentView{Name: p.Filename, Info: fmt.Sprintf("%s, %s", p.ContentType, mailview.Size(int64(p.Size)))}
		if p.Width > 0 {
			a.Info += fmt.Sprintf(", %d×%d", p.Width, p.Height)
		}
		if p.IsImage() {
			if body, err := partBody(m, p.Path); err != nil {
				a.Why = "not shown: " + err.Error()
			} else {
				u := images.use(body, fmt.Sprintf("message %d: %s", m.ID, p.Filename))
				a.Image = &u
			}
		}
		out.Attachments = append(out.Attachments, a)
	}
	return out
}

// partBody is a part's decoded body.
func partBody(m *fakesmtp.Message, path string) ([]byte, error) {
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	e, err := mailview.FindPart(rc, path)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(e.Body)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sdView is the device's evidence: an SD card's frames.
type sdView struct {
	Store string
	Files []sdFile
}

type sdFile struct {
	Path, Taken, Info string
	Alert             int
	Image             imageUse
	// Mailed names the messages that carry the same bytes.
	Mailed string
}

func sdViewOf(res *scenarios.Result, images *imagePool) *sdView {
	if res.Evidence == nil {
		return nil
	}
	// Which message carries which image, by the attachments' hashes.
	mailed := map[string][]string{}
	for _, m := range res.Captured {
		for _, p := range m.Parts {
			if p.SHA256 != "" && p.Filename != "" {
				mailed[p.SHA256] = append(mailed[p.SHA256], fmt.Sprintf("message %d", m.ID))
			}
		}
	}
	out := &sdView{Store: res.Evidence.Store}
	for _, f := range res.Evidence.Files {
		// The card keeps how to make each frame again, not its bytes.
		data, err := f.Load()
		if err != nil {
			out.Files = append(out.Files, sdFile{Path: f.Path, Taken: clockOf(res, f.Taken), Info: "cannot be read: " + err.Error(), Alert: f.Alert})
			continue
		}
		u := images.use(data, f.Path)
		info := mailview.Size(int64(len(data)))
		if u.OrigW > 0 {
			info += fmt.Sprintf(", %d×%d", u.OrigW, u.OrigH)
		}
		out.Files = append(out.Files, sdFile{Path: f.Path, Taken: clockOf(res, f.Taken), Info: info, Alert: f.Alert, Image: u,
			Mailed: strings.Join(mailed[u.SHA256], ", ")})
	}
	return out
}
