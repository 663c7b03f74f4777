package consumer_test

import (
	"context"
	"fmt"
	"net/netip"
	"net/smtp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/golden"
	"alertsim/netem"
)

const alertMail = "From: <cam@example.com>\r\n" +
	"To: <owner@example.com>\r\n" +
	"Subject: Motion at the gate\r\n" +
	"Date: Sat, 01 Jan 2000 00:00:00 +0000\r\n" +
	"Message-Id: <1.cam@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Motion detected at the gate.\r\n"

// TestAlertReachesTheServer sends an alert from a camera on a 4G link to a
// fake SMTP server with the standard library's SMTP client, and checks what
// the server captured, field by field and against a golden record
// (`go test ./... -update` rewrites testdata/alert.golden). Inside
// synctest.Test the 4G round trips take virtual time only, so the record's
// times are the same on every run.
func TestAlertReachesTheServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		network := netem.New(netem.Config{Seed: 1})
		t.Cleanup(func() { network.Close() })
		lte, _ := netem.LookupProfile("4g-good")
		camera, err := network.AddHost(netem.HostConfig{Name: "camera", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: lte.Link()})
		if err != nil {
			t.Fatal(err)
		}
		mx, err := network.AddHost(netem.HostConfig{Name: "mail", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
		if err != nil {
			t.Fatal(err)
		}
		l, err := mx.Listen("tcp", ":25")
		if err != nil {
			t.Fatal(err)
		}
		srv := fakesmtp.NewServer()
		srv.Domain = "mail.example.com"
		srv.Start(t, l, fakesmtp.Plain)

		// The test's own record: what the camera saw when, in virtual time,
		// then what the server captured. golden compares any text.
		var record strings.Builder
		fmt.Fprintf(&record, "test: %s\nlink: %s\n\n", t.Name(), lte.Name)
		step := func(format string, args ...any) {
			fmt.Fprintf(&record, "%6v  camera  %s\n", time.Since(start).Round(time.Millisecond), fmt.Sprintf(format, args...))
		}
		conn, err := camera.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		step("connected to %s", conn.RemoteAddr())
		c, err := smtp.NewClient(conn, "mail.example.com")
		if err != nil {
			t.Fatal(err)
		}
		step("greeted")
		if err := c.Hello("camera.example.com"); err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("cam@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("owner@example.com"); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(alertMail)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		step("message accepted")
		if err := c.Quit(); err != nil {
			t.Fatal(err)
		}
		step("quit")

		msgs, err := srv.WaitForMessages(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		m := msgs[0]
		if m.From != "cam@example.com" || strings.Join(m.To, ",") != "owner@example.com" || m.Helo != "camera.example.com" {
			t.Errorf("envelope <%s> -> %v from %q, want <cam@example.com> -> [owner@example.com] from camera.example.com", m.From, m.To, m.Helo)
		}
		if string(m.Raw) != alertMail {
			t.Errorf("server captured %q, want %q", m.Raw, alertMail)
		}
		if len(m.Parts) != 1 || m.Parts[0].Text != "Motion detected at the gate.\r\n" {
			t.Errorf("parts %+v, want one text part", m.Parts)
		}

		fmt.Fprintf(&record, "\n%d message captured by %s at %v: <%s> -> %v, %d bytes\n%s",
			len(msgs), srv.Domain, m.Received.Sub(start).Round(time.Millisecond), m.From, m.To, len(m.Raw), m.Header())
		golden.Assert(t, "testdata/alert.golden", []byte(record.String()))
	})
}
