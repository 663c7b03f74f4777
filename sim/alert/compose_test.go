package alert

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"alertsim/internal/mailcheck"
)

func sampleAlert() Alert {
	return Alert{
		FromName:    "Site A – Nordtor", // non-ASCII: RFC 2047
		FromAddress: "cam@example.com",
		To:          []string{"owner@example.com", "guard@example.net"},
		Subject:     "Bewegung erkannt – Tor",
		Date:        time.Date(2000, 1, 1, 0, 0, 5, 0, time.UTC),
		MessageID:   MessageID(1, "cam-a", 1),
		Text:        "Event: Motion Detected\nCamera: Site A\n",
		Attachments: []Attachment{{Name: "snap1.jpg", ContentType: "image/jpeg", Data: bytes.Repeat([]byte{0xff, 0xd8, 0x00, 0x42}, 1000)}},
	}
}

func TestComposeIsDeterministicAndWellFormed(t *testing.T) {
	a, err := Compose(sampleAlert())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Compose(sampleAlert())
	if !bytes.Equal(a, b) {
		t.Fatal("the same alert composed twice gave different bytes")
	}
	text := string(a)
	for _, want := range []string{
		"Subject: =?utf-8?q?Bewegung_erkannt_=E2=80=93_Tor?=\r\n",
		"From: =?utf-8?q?Site_A_=E2=80=93_Nordtor?= <cam@example.com>\r\n",
		"To: <owner@example.com>, <guard@example.net>\r\n",
		"Date: Sat, 01 Jan 2000 00:00:05 +0000\r\n",
		"Message-Id: <" + MessageID(1, "cam-a", 1) + ">\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("message lacks %q:\n%s", want, text[:min(len(text), 800)])
		}
	}
	if strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") {
		t.Error("message has bare line feeds")
	}

	e, err := message.Read(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	mr := e.MultipartReader()
	if mr == nil {
		t.Fatal("not multipart")
	}
	textPart, _ := mr.NextPart()
	if ct, _, _ := textPart.Header.ContentType(); ct != "text/plain" {
		t.Errorf("first part is %s", ct)
	}
	att, _ := mr.NextPart()
	if _, p, _ := att.Header.ContentDisposition(); p["filename"] != "snap1.jpg" {
		t.Errorf("attachment file name %q", p["filename"])
	}
	// Base64 lines of at most 76 characters.
	body := text[strings.Index(text, "filename=snap1.jpg"):]
	for _, line := range strings.Split(body, "\r\n")[3:10] {
		if len(line) != 76 {
			t.Errorf("base64 line of %d characters: %q", len(line), line)
		}
	}
}

func TestComposeRefusesIncompleteAlerts(t *testing.T) {
	for _, mutate := range []func(*Alert){
		func(a *Alert) { a.FromAddress = "" },
		func(a *Alert) { a.To = nil },
		func(a *Alert) { a.MessageID = "" },
	} {
		a := sampleAlert()
		mutate(&a)
		if _, err := Compose(a); err == nil {
			t.Errorf("Compose(%+v) succeeded", a)
		}
	}
}

func TestMessageIDUniquePerHostAndCount(t *testing.T) {
	seen := map[string]bool{}
	for _, id := range []string{MessageID(1, "a", 1), MessageID(1, "a", 2), MessageID(1, "b", 1), MessageID(2, "a", 1)} {
		if seen[id] {
			t.Errorf("duplicate Message-ID %s", id)
		}
		seen[id] = true
	}
}

func TestExpandSubject(t *testing.T) {
	vars := map[string]string{"Camera_Name": "Gate", "Event_Type": "Motion Detected"}
	for template, want := range map[string]string{
		"%Camera_Name% - %Event_Type%": "Gate - Motion Detected",
		"100% sure: %Event_Type%":      "100% sure: Motion Detected",
		"%Unknown% at %Camera_Name%":   "%Unknown% at Gate",
		"50%":                          "50%",
		"%%Camera_Name%":               "%Gate",
	} {
		if got := ExpandSubject(template, vars); got != want {
			t.Errorf("ExpandSubject(%q) = %q, want %q", template, got, want)
		}
	}
}

// TestComposedBurstReadsBackExactly: a burst of five snapshots reads back,
// through the standard library and go-message, to the very bytes composed.
func TestComposedBurstReadsBackExactly(t *testing.T) {
	a := sampleAlert()
	a.Attachments = nil
	for i := range 5 {
		data := make([]byte, 10_000+i*3001) // lengths 0, 1 and 2 mod 3
		for j := range data {
			data[j] = byte(j*7 + i)
		}
		a.Attachments = append(a.Attachments, Attachment{Name: fmt.Sprintf("snap%d.jpg", i+1), ContentType: "image/jpeg", Data: data})
	}
	a.Attachments = append(a.Attachments, Attachment{Name: "system.log", ContentType: "text/plain", Data: []byte("line one\nline two\n")})
	raw, err := Compose(a)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := mailcheck.Check(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1+len(a.Attachments) || !strings.Contains(string(parts[0].Body), "Event: Motion Detected") {
		t.Fatalf("parts: %d", len(parts))
	}
	for i, att := range a.Attachments {
		p := parts[i+1]
		if p.Filename != att.Name || p.ContentType != att.ContentType || !bytes.Equal(p.Body, att.Data) {
			t.Errorf("attachment %s reads back as %s %s, %d bytes (equal: %v)", att.Name, p.Filename, p.ContentType, len(p.Body), bytes.Equal(p.Body, att.Data))
		}
	}
}

// TestComposeEndsTextLinesWithCRLF: a body written with bare line feeds, or
// with a mix, goes out with CRLF only, alone or beside attachments, and
// composes to the same bytes as the body written with CRLF.
func TestComposeEndsTextLinesWithCRLF(t *testing.T) {
	for _, atts := range [][]Attachment{nil, sampleAlert().Attachments} {
		a := sampleAlert()
		a.Attachments = atts
		a.Text = "Event: Motion Detected\nCamera: Site A\r\n\nTime: 00:00:05\n"
		raw, err := Compose(a)
		if err != nil {
			t.Fatal(err)
		}
		if i := strings.Index(strings.ReplaceAll(string(raw), "\r\n", ""), "\n"); i >= 0 {
			t.Errorf("%d attachments: bare line feed in the message:\n%s", len(atts), raw[:min(len(raw), 800)])
		}
		if !strings.Contains(string(raw), "\r\n\r\nEvent: Motion Detected\r\nCamera: Site A\r\n\r\nTime: 00:00:05\r\n") {
			t.Errorf("%d attachments: body not in CRLF lines:\n%q", len(atts), raw[:min(len(raw), 800)])
		}
		a.Text = strings.ReplaceAll(strings.ReplaceAll(a.Text, "\r\n", "\n"), "\n", "\r\n")
		withCRLF, _ := Compose(a)
		if !bytes.Equal(raw, withCRLF) {
			t.Errorf("%d attachments: LF and CRLF bodies compose differently", len(atts))
		}
	}
}
