package dir

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/sim/alert"
	"alertsim/sim/device"
)

// TestDeliveredLogClearsOnlyWhatItCarried: a log mail clears the entries it
// carried and nothing else. Entries logged while it is on its way (here,
// once the server has the message and before the router hears 250) are
// still in the log afterwards, even when so many came that the log turned
// over in the meantime.
func TestDeliveredLogClearsOnlyWhatItCarried(t *testing.T) {
	for _, meanwhile := range []int{1, LogCapacity + 5} {
		t.Run(fmt.Sprintf("%d entries meanwhile", meanwhile), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r, srv, delivered := routerAndServer(t)
				r.Trigger("admin-login")
				r.Trigger("admin-login")
				r.Trigger("email-log-now")

				msgs, err := srv.WaitForMessages(context.Background(), 1)
				if err != nil {
					t.Fatal(err)
				}
				for range meanwhile {
					r.Trigger("dhcp-lease")
				}
				logged := r.LogEntries()
				<-delivered
				synctest.Wait() // the mail task has run the job's Done

				want := logged[max(len(logged)-meanwhile, 0):]
				if got := r.LogEntries(); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("log after the mail: %d entries, first %q; want the %d logged meanwhile, first %q",
						len(got), first(got), len(want), first(want))
				}
				atts := msgs[0].Attachments()
				if len(atts) != 1 || strings.Count(atts[0].Text, "administrator logged in") != 2 || strings.Contains(atts[0].Text, "DHCP") {
					t.Errorf("the mail carried %+v, want the two logins alone", atts)
				}
			})
		})
	}
}

// routerAndServer starts a router that mails its log to a plain relay 20 ms
// away; delivered receives once the router has a 250 for a mail.
func routerAndServer(t *testing.T) (*Router, *fakesmtp.Server, <-chan struct{}) {
	t.Helper()
	network := netem.New(netem.Config{Seed: 1})
	t.Cleanup(func() { network.Close() })
	link := netem.Direction{Delay: 20 * time.Millisecond}
	dev, err := network.AddHost(netem.HostConfig{Name: "router", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}, Link: netem.Link{Up: link, Down: link}})
	if err != nil {
		t.Fatal(err)
	}
	mx, err := network.AddHost(netem.HostConfig{Name: "relay", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := mx.Listen("tcp", ":25")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakesmtp.NewServer()
	srv.Domain = "relay.example.net"
	srv.Start(t, l, fakesmtp.Plain)

	delivered := make(chan struct{}, 1)
	s := Defaults()
	s.EnableEmailNotification = true
	s.FromEmailAddress = "router@example.net"
	s.ToEmailAddress = "admin@example.net"
	s.SMTPServerAddress = "relay.example.net"
	r, err := New(s, device.Env{
		Hostname: "router",
		Seed:     1,
		Dial:     dev.Dial,
		Resolver: alert.Hosts{"relay.example.net": {netip.MustParseAddr("203.0.113.25")}},
		Log: func(e alert.Event) {
			if strings.HasPrefix(e.Text, "delivered: ") {
				delivered <- struct{}{}
			}
		},
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, srv, delivered
}

func first(entries []string) string {
	if len(entries) == 0 {
		return ""
	}
	return entries[0]
}
