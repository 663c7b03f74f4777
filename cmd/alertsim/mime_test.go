package main

import (
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"alertsim/fakesmtp"
)

// TestNestedMessageBounded: a message nested 2,000 deep is stored and
// shown with the MIME tree cut at fakesmtp.MaxMIMEDepth and a parse error
// saying so, and its record in index.jsonl stays small; a part's path
// deeper than the bound is not walked.
func TestNestedMessageBounded(t *testing.T) {
	s := startServe(t)
	var b strings.Builder
	b.WriteString("From: camera@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n")
	const depth = 2000
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\nContent-Type: text/plain\r\n\r\nlevel %d\r\n--b%d\r\n", i, i, i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nthe innermost\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	if err := smtp.SendMail(s.ports["smtp"], nil, "camera@example.com", []string{"owner@example.com"}, []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	var l apiList
	getJSON(t, s.web+"/api/v1/messages/wait?count=1&timeout=30s", &l)
	key := l.Messages[0].Key
	var d struct {
		ParseError string
		Parts      []struct {
			Path  string
			Depth int
		}
	}
	if code := getJSON(t, s.web+"/api/v1/messages/"+key, &d); code != 200 {
		t.Fatalf("GET the message: %d", code)
	}
	if !strings.Contains(d.ParseError, fmt.Sprintf("nested more than %d deep", fakesmtp.MaxMIMEDepth)) || len(d.Parts) != 2*fakesmtp.MaxMIMEDepth+1 {
		t.Errorf("parse error %q, %d parts", d.ParseError, len(d.Parts))
	}
	part := func(path string) int {
		resp, err := http.Get(s.web + "/api/v1/messages/" + key + "/parts/" + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	deepest := strings.Repeat("2.", fakesmtp.MaxMIMEDepth-1) + "1"
	if code := part(deepest); code != 200 {
		t.Errorf("the deepest part listed, %s: %d", deepest, code)
	}
	if code := part(strings.Repeat("2.", depth-1) + "1"); code != 404 {
		t.Errorf("a part %d deep: %d, want 404", depth, code)
	}
	info, err := os.Stat(filepath.Join(s.dir, "index.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 64<<10 {
		t.Errorf("index.jsonl is %d bytes", info.Size())
	}
}
