package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"alertsim/fakesmtp"
	"alertsim/scenarios"
)

const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)>" onmouseover="alert(3)` + "\x00\x1b[31m\xff"

// TestEscape: nothing of a run's text becomes markup, and the page stays
// valid UTF-8 whatever bytes a client sent.
func TestEscape(t *testing.T) {
	got := esc(hostile)
	if strings.ContainsAny(got, `<>"`) || !utf8.ValidString(got) || strings.ContainsRune(got, 0) || strings.ContainsRune(got, 0x1b) {
		t.Errorf("esc(%q) = %q", hostile, got)
	}
}

// TestHostileMessageIsText: a message whose envelope, headers, text and
// file name are markup shows as text: the page has its own script and no
// other, and no element or attribute from the message.
func TestHostileMessageIsText(t *testing.T) {
	sc, err := scenarios.Parse("hostile.yaml", []byte(`
seed: 1
duration: 1m
device: {model: ptz-4g, settings: {smtp_server: smtp.example.com, sender_address: cam@example.com, recipient_address: owner@example.com}}
network: {profile: lan}
`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	header := "Subject: " + hostile + "\r\nFrom: " + hostile + "\r\n"
	res := &scenarios.Result{Scenario: sc, Start: start, Record: []byte(hostile), Captured: []*fakesmtp.Message{{
		ID: 1, Session: 1, Remote: hostile, Helo: hostile, Received: start, From: hostile, To: []string{hostile}, Raw: []byte(header + "\r\n" + hostile),
		Parts: []fakesmtp.Part{
			{Header: header, ContentType: "multipart/mixed", Multipart: true},
			{Path: "1", Depth: 1, ContentType: "text/plain", Text: hostile},
			{Path: "2", Depth: 1, ContentType: "application/octet-stream", Filename: hostile, Size: 3},
		},
		AuthUser: hostile, AuthMechanism: hostile,
	}}, Checks: []scenarios.Check{{Text: hostile}}}
	var buf bytes.Buffer
	if err := Write(&buf, res, Options{}); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	scripts, images := 0, 0
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script":
			scripts++
		case "img":
			images++
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || strings.Contains(a.Val, "alert(") {
				t.Errorf("<%s %s=%q> from the message", n.Data, a.Key, a.Val)
			}
		}
	}
	if scripts != 1 || images != 0 {
		t.Errorf("%d scripts and %d images, want the page's one script and no image", scripts, images)
	}
	if !utf8.Valid(buf.Bytes()) {
		t.Error("the page is not valid UTF-8")
	}
	if !strings.Contains(buf.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the subject is not shown as text")
	}
}

// TestIndex: the gate's index lists every cell, the matrix in a grid per
// model and firmware (profiles down, presets across), failures first,
// each linked to its report when it has one.
func TestIndex(t *testing.T) {
	cells := []Cell{
		{Name: "matrix/ptz-4g-5.2.0/lan/isp-relay", Matrix: true, Model: "ptz-4g", Firmware: "5.2.0", Profile: "lan", Presets: []string{"isp-relay"}, OK: true, Report: "matrix/ptz-4g-5.2.0/lan/isp-relay.html"},
		{Name: "matrix/ptz-4g-5.2.0/lan/gmail-like", Matrix: true, Model: "ptz-4g", Firmware: "5.2.0", Profile: "lan", Presets: []string{"gmail-like"}, OK: false,
			Problem: "the record differs", Report: "matrix/ptz-4g-5.2.0/lan/gmail-like.html", Files: []string{"matrix/ptz-4g-5.2.0/lan/gmail-like.pcapng"}},
		{Name: "matrix/ptz-4g-5.2.0/4g-weak/gmail-like", Matrix: true, Model: "ptz-4g", Firmware: "5.2.0", Profile: "4g-weak", Presets: []string{"gmail-like"}, OK: true},
		{Name: "matrix/dir-router/lan/isp-relay", Matrix: true, Model: "dir-router", Profile: "lan", Presets: []string{"isp-relay"}, OK: true},
		{Name: "ptz/ptz-gmail-465-motion", Model: "ptz-4g", Firmware: "5.2.0", Profile: "4g-good", Presets: []string{"gmail-like"}, OK: true, Report: "ptz/ptz-gmail-465-motion.html"},
	}
	var buf bytes.Buffer
	if err := WriteIndex(&buf, "gate", cells); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var grids []string
	cellsIn := map[string][]string{} // grid -> its cells' names, in order
	links := map[string]string{}     // cell name -> href of its link
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		if n.Data == "table" && attr(n, "class") == "grid" {
			grids = append(grids, attr(n, "data-group"))
		}
		if name := attr(n, "data-name"); name != "" {
			if n.Data == "td" {
				g := ancestor(n, "table")
				cellsIn[attr(g, "data-group")] = append(cellsIn[attr(g, "data-group")], name)
			}
			for a := range n.Descendants() {
				if a.Type == html.ElementNode && a.Data == "a" && links[name] == "" {
					links[name] = attr(a, "href")
				}
			}
		}
	}
	if strings.Join(grids, ",") != "dir-router,ptz-4g 5.2.0" {
		t.Errorf("grids %q", grids)
	}
	// Profiles sorted down (4g-weak before lan), presets across
	// (gmail-like before isp-relay); an empty square where the matrix
	// has no cell.
	if got := strings.Join(cellsIn["ptz-4g 5.2.0"], " "); got != "matrix/ptz-4g-5.2.0/4g-weak/gmail-like matrix/ptz-4g-5.2.0/lan/gmail-like matrix/ptz-4g-5.2.0/lan/isp-relay" {
		t.Errorf("the ptz-4g grid: %s", got)
	}
	for _, c := range cells {
		if c.Report != "" && links[c.Name] != c.Report {
			t.Errorf("%s links to %q, want %q", c.Name, links[c.Name], c.Report)
		}
	}
	if !strings.Contains(buf.String(), "4 passed, 1 failed") {
		t.Error("the index does not count 4 passed, 1 failed")
	}
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func ancestor(n *html.Node, tag string) *html.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return p
		}
	}
	return nil
}

// TestValidText: control characters and invalid bytes become U+FFFD,
// tab, line feed, carriage return and any other character stay.
func TestValidText(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttext\r\n":        "plain\ttext\r\n",
		"Caméra — ✕ 日本":          "Caméra — ✕ 日本",
		"a\x00b\x1bc\x7fd":       "a\uFFFDb\uFFFDc\uFFFDd",
		"a\u0085b\u009fc":        "a\uFFFDb\uFFFDc",
		"only C1 \u009f":         "only C1 \uFFFD",
		"bad \xff\xfe byte \xc3": "bad \uFFFD\uFFFD byte \uFFFD",
	} {
		if got := string(validText([]byte(in))); got != want {
			t.Errorf("validText(%q) = %q, want %q", in, got, want)
		}
	}
}
