package fakesmtp_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"alertsim/fakesmtp"
	"alertsim/netem"
)

// A fake server on an emulated network, a client that logs in and sends,
// and what the server captured. In a test, prefer Server.Start(t, l, mode),
// which closes the server when the test ends, and run inside
// testing/synctest for virtual time.
func ExampleServer() {
	network := netem.New(netem.Config{})
	defer network.Close()
	camera, _ := network.AddHost(netem.HostConfig{Name: "camera", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}})
	mx, _ := network.AddHost(netem.HostConfig{Name: "mail", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})

	srv := fakesmtp.NewServer()
	srv.Domain = "mail.example.com"
	srv.AllowInsecureAuth = true // a plain port-25 relay that still asks for a login
	srv.Accounts = []fakesmtp.Account{{Username: "camera", Password: "secret"}}
	l, _ := mx.Listen("tcp", ":25")
	go srv.Serve(l, fakesmtp.Plain)
	defer srv.Close()

	conn, _ := camera.Dial(context.Background(), "tcp", "203.0.113.25:25")
	c := smtp.NewClient(conn)
	c.Hello("camera")
	c.Auth(sasl.NewLoginClient("camera", "secret"))
	c.SendMail("camera@example.com", []string{"owner@example.com"}, strings.NewReader("Subject: motion\r\n\r\nGate\r\n"))
	c.Quit()

	msgs, _ := srv.WaitForMessages(context.Background(), 1)
	fmt.Println(msgs[0].From, "->", msgs[0].To, "as", msgs[0].AuthUser, "via", msgs[0].AuthMechanism)
	for _, line := range srv.Sessions()[0].Transcript {
		if line.Kind == fakesmtp.Command {
			fmt.Println(line)
		}
	}
	// Output:
	// camera@example.com -> [owner@example.com] as camera via LOGIN
	// C: EHLO camera
	// C: AUTH LOGIN [redacted]
	// C: [redacted]
	// C: MAIL FROM:<camera@example.com> BODY=8BITMIME
	// C: RCPT TO:<owner@example.com>
	// C: DATA
	// C: [message data, 25 bytes]
	// C: QUIT
}
