package alert_test

import (
	"context"
	"testing"
	"testing/synctest"

	"alertsim/fakesmtp"
	"alertsim/sim/alert"
)

func TestTestEmail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMailWorld(t)
		w.add(t, "mx.example.com", "203.0.113.25", true, func(s *fakesmtp.Server) {
			s.Accounts = []fakesmtp.Account{{Username: "cam", Password: "right"}}
			s.AllowInsecureAuth = true
			s.AuthRequired = true
		})
		c := w.client()
		env := alert.Envelope{From: "cam@example.com", To: []string{"owner@example.com"}}
		srv := plainServer("mx.example.com")
		srv.Username, srv.Password = "cam", "right"

		res := c.TestEmail(context.Background(), srv, env, []byte("Subject: Test\r\n\r\nTest\r\n"), true)
		if !res.OK || res.Message != "Test Email sent successfully." || res.Probe != "203.0.113.25:25 reachable in 50ms" {
			t.Errorf("good settings: %+v", res)
		}
		srv.Password = "wrong"
		res = c.TestEmail(context.Background(), srv, env, []byte("x\r\n"), false)
		if res.OK || res.Message != "Test Email failed: Authentication Failed (535 5.7.8 Error: authentication failed)" || res.Probe != "" {
			t.Errorf("wrong password: %+v", res)
		}
		res = c.TestEmail(context.Background(), alert.Server{Host: "mx.example.com", Port: 587}, env, []byte("x\r\n"), true)
		if res.OK || res.Message != "Test Email failed: Connection refused" {
			t.Errorf("closed port: %+v", res)
		}
	})
}
