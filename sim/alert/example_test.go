package alert_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/mail"
	"time"

	"alertsim/fakesmtp"
	"alertsim/sim/alert"
)

// The pipeline as firmware runs it, on the real network: compose an alert,
// then deliver it with net.Dialer under the device's retry policy. Here the
// server is a fake one on loopback; any SMTP server will do (see alertsim
// send). In a scenario the same Client dials through netem instead.
func Example() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := fakesmtp.NewServer()
	srv.Domain = "mail.example.com"
	go srv.Serve(l, fakesmtp.Plain)
	defer srv.Close()
	port := l.Addr().(*net.TCPAddr).Port

	msg, _ := alert.Compose(alert.Alert{
		FromName: "Gate camera", FromAddress: "cam@example.com", To: []string{"owner@example.com"},
		Subject: alert.ExpandSubject("%Camera_Name% - %Event_Type%", map[string]string{"Camera_Name": "Gate", "Event_Type": "Motion Detected"}),
		Date:    time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), MessageID: alert.MessageID(1, "gate-cam", 1),
		Text: "Motion at the gate.\n",
	})
	client := &alert.Client{Dial: (&net.Dialer{}).DialContext, HelloName: "gate-cam"}
	d := client.Deliver(context.Background(), alert.Policy{
		Servers: []alert.Server{{Host: "127.0.0.1", Port: port, Security: alert.SecurityOptional}},
		Retries: []time.Duration{10 * time.Second, 30 * time.Second},
	}, alert.Envelope{From: "cam@example.com", To: []string{"owner@example.com"}}, msg)

	fmt.Println("delivered:", d.Delivered(), "after", d.Attempts, "attempt")
	got, _ := srv.WaitForMessages(context.Background(), 1)
	m, _ := mail.ReadMessage(bytes.NewReader(got[0].Raw))
	fmt.Println("the server has:", got[0].From, "->", got[0].To, m.Header.Get("Subject"))
	// Output:
	// delivered: true after 1 attempt
	// the server has: cam@example.com -> [owner@example.com] Gate - Motion Detected
}
