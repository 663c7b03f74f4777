package alert_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/sim/alert"
)

// Outcomes of one cell of the policy matrix.
const (
	plainText = "delivered plain"
	overTLS   = "delivered TLS"
	failTLS   = "failed tls"
	failAuth  = "failed auth"
	failTime  = "failed timeout"
)

var serverModes = []string{"plain", "starttls offered", "starttls required", "implicit tls"}
var certKinds = []string{"valid", "self-signed", "expired", "wrong host"}

// policyMatrix is what each security level does against each kind of
// server and certificate (the columns: valid, self-signed, expired, wrong
// host). None never starts TLS: a server that requires it refuses the
// login (530), and an implicit-TLS port never greets a plain client.
// Optional and Required encrypt without checking the certificate; Required
// fails where TLS is not offered. Certified also verifies the chain and the
// name.
var policyMatrix = map[alert.Security]map[string][4]string{
	alert.SecurityNone: {
		"plain":             {plainText, plainText, plainText, plainText},
		"starttls offered":  {plainText, plainText, plainText, plainText},
		"starttls required": {failAuth, failAuth, failAuth, failAuth},
		"implicit tls":      {failTime, failTime, failTime, failTime},
	},
	alert.SecurityOptional: {
		"plain":             {plainText, plainText, plainText, plainText},
		"starttls offered":  {overTLS, overTLS, overTLS, overTLS},
		"starttls required": {overTLS, overTLS, overTLS, overTLS},
		"implicit tls":      {overTLS, overTLS, overTLS, overTLS},
	},
	alert.SecurityRequired: {
		"plain":             {failTLS, failTLS, failTLS, failTLS},
		"starttls offered":  {overTLS, overTLS, overTLS, overTLS},
		"starttls required": {overTLS, overTLS, overTLS, overTLS},
		"implicit tls":      {overTLS, overTLS, overTLS, overTLS},
	},
	alert.SecurityCertified: {
		"plain":             {failTLS, failTLS, failTLS, failTLS},
		"starttls offered":  {overTLS, failTLS, failTLS, failTLS},
		"starttls required": {overTLS, failTLS, failTLS, failTLS},
		"implicit tls":      {overTLS, failTLS, failTLS, failTLS},
	},
}

func TestSecurityPolicyMatrix(t *testing.T) {
	for sec := alert.SecurityNone; sec <= alert.SecurityCertified; sec++ {
		for _, mode := range serverModes {
			for i, cert := range certKinds {
				t.Run(fmt.Sprintf("%v/%s/%s", sec, mode, cert), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						if got, want := policyCell(t, sec, mode, cert), policyMatrix[sec][mode][i]; got != want {
							t.Errorf("%v against %s with a %s certificate: %s, want %s", sec, mode, cert, got, want)
						}
					})
				})
			}
		}
	}
}

// policyCell runs one delivery and says how it went.
func policyCell(t *testing.T, sec alert.Security, mode, cert string) string {
	cryptotest.SetGlobalRandom(t, 1)
	n := netem.New(netem.Config{})
	defer n.Close()
	link := netem.Direction{Delay: 10 * time.Millisecond}
	dev, _ := n.AddHost(netem.HostConfig{Name: "cam", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: netem.Link{Up: link, Down: link}})
	mx, _ := n.AddHost(netem.HostConfig{Name: "mail", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
	ca, _ := fakesmtp.NewCA("root")
	opts := fakesmtp.CertOptions{Hosts: []string{"mail.example.com"}}
	switch cert {
	case "self-signed":
		opts.SelfSigned = true
	case "expired":
		opts.NotBefore, opts.NotAfter = time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0)
	case "wrong host":
		opts.Hosts = []string{"other.example.com"}
	}
	c, err := ca.Issue(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := fakesmtp.NewServer()
	srv.Domain = "mail.example.com"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{c}}
	srv.Accounts = []fakesmtp.Account{{Username: "cam", Password: "pw"}}
	srv.AuthRequired = true
	srv.AllowInsecureAuth = mode != "starttls required"
	srv.RequireTLS = mode == "starttls required"
	l, _ := mx.Listen("tcp", ":25")
	smode := map[string]fakesmtp.Mode{"plain": fakesmtp.Plain, "starttls offered": fakesmtp.StartTLS, "starttls required": fakesmtp.StartTLS, "implicit tls": fakesmtp.ImplicitTLS}[mode]
	srv.Start(t, l, smode)

	client := &alert.Client{
		Dial:     dev.Dial,
		Resolver: alert.Hosts{"mail.example.com": {netip.MustParseAddr("203.0.113.25")}},
		RootCAs:  ca.Pool,
		Timeouts: alert.Timeouts{Connect: 10 * time.Second, Command: time.Minute, DataBlock: time.Minute, Submission: time.Minute},
	}
	s := alert.Server{Host: "mail.example.com", Port: 25, Security: sec, Username: "cam", Password: "pw",
		// A device set to SSL on the implicit-TLS port; one set to no
		// security speaks plain text to it.
		ImplicitTLS: mode == "implicit tls" && sec != alert.SecurityNone}
	r, err := client.Send(context.Background(), s, alert.Envelope{From: "cam@example.com", To: []string{"owner@example.com"}}, []byte("Subject: x\r\n\r\nx\r\n"))
	if err != nil {
		var e *alert.Error
		if !errors.As(err, &e) {
			t.Fatalf("unclassified error %v", err)
		}
		return "failed " + string(e.Class)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("delivered, but the server has %d messages", len(msgs))
	}
	if (r.TLS != "") != (msgs[0].TLS != nil) {
		t.Fatalf("client says TLS %q, server says %v", r.TLS, msgs[0].TLS)
	}
	if r.TLS == "" {
		return plainText
	}
	return overTLS
}
