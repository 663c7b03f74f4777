package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/golden"
	"alertsim/internal/seed"
	"alertsim/netem"
	"alertsim/sim/alert"
	"alertsim/sim/device"
	"alertsim/sim/ptz"
)

// Options change how a scenario runs.
type Options struct {
	// Seed, when set, replaces the scenario's own seed.
	Seed *uint64
}

// Result is a finished run.
type Result struct {
	Scenario *Scenario
	Seed     uint64
	// Record is the rendered run record, the text of the golden file.
	Record []byte
	// Alerts the device raised, how many of them were delivered, and the
	// delivery attempts it made in all.
	Alerts, Delivered, Attempts int
	// Messages is how many messages the servers accepted; Captured has
	// them, in order of reception.
	Messages int
	Captured []*fakesmtp.Message
	// Failures lists the failure classes of the alerts not delivered.
	Failures []alert.Class
	// FailureLog is the device's failure log; Trace is what the network
	// did; Start is the virtual time the run began.
	FailureLog []alert.Failure
	Trace      []netem.TraceEvent
	Start      time.Time
	// SDCard is what the device stored on its SD card, for models that
	// keep evidence there.
	SDCard []ptz.SDFile
	// Checks are the scenario's expectations and whether the run met
	// them (the golden record is compared separately).
	Checks []Check
}

// Check is one expectation of a scenario.
type Check struct {
	OK   bool
	Text string
}

// Failed returns the checks the run did not meet.
func (r *Result) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Outcome summarizes the run in a few words, for tables.
func (r *Result) Outcome() string {
	s := fmt.Sprintf("%d/%d delivered", r.Delivered, r.Alerts)
	if len(r.Failures) > 0 {
		classes := make([]string, len(r.Failures))
		for i, c := range r.Failures {
			classes[i] = string(c)
		}
		s += " (" + strings.Join(slices.Compact(classes), ", ") + ")"
	}
	return s
}

// GoldenPath returns where the golden record of the scenario at path is
// kept: beside it, with the extension .golden.
func GoldenPath(path string) string {
	return strings.TrimSuffix(path, ".yaml") + ".golden"
}

// Run plays the scenario inside a synctest bubble, in virtual time starting
// at 2000-01-01 00:00:00 UTC, with crypto/rand made deterministic from the
// seed. It calls t.Fatal if the run cannot be set up.
func Run(t *testing.T, sc *Scenario, opts Options) *Result {
	t.Helper()
	root := sc.Seed
	if opts.Seed != nil {
		root = *opts.Seed
	}
	var res *Result
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed.Derive(root, "crypto"))
		res = play(t, sc, root)
	})
	return res
}

// play runs inside the bubble.
func play(t *testing.T, sc *Scenario, root uint64) *Result {
	start := time.Now()
	tl := &timeline{start: start, seq: map[string]int{}}

	network := netem.New(netem.Config{Seed: seed.Derive(root, "network")})
	devAddrs := []netip.Addr{netip.MustParseAddr(sc.Device.Address)}
	if sc.Device.IPv6 != "" {
		devAddrs = append(devAddrs, netip.MustParseAddr(sc.Device.IPv6))
	}
	devHost, err := network.AddHost(netem.HostConfig{
		Name:  sc.Device.Hostname,
		Addrs: devAddrs,
		Link:  sc.Network.link(),
		MTU:   sc.Device.MTU,
	})
	if err != nil {
		t.Fatalf("%s: %v", sc.Path, err)
	}

	ca, err := fakesmtp.NewCA("alertsim scenario root")
	if err != nil {
		t.Fatal(err)
	}
	hosts := alert.Hosts{}
	servers := make([]*runningServer, len(sc.Servers))
	for i, spec := range sc.Servers {
		s, err := startServer(network, ca, spec)
		if err != nil {
			t.Fatalf("%s: server %s: %v", sc.Path, spec.Host, err)
		}
		servers[i] = s
		hosts[strings.ToLower(spec.Host)] = []netip.Addr{netip.MustParseAddr(spec.Address)}
	}

	deviceLog := func(e alert.Event) { tl.add(e.Time, rankDevice, sc.Device.Hostname, e.Text) }
	var resolver alert.Resolver = hosts
	if servers, ok := sc.deviceDNS(); ok {
		for _, s := range sc.DNS.Servers {
			h, err := network.AddHost(netem.HostConfig{Name: s.Name, Addrs: []netip.Addr{netip.MustParseAddr(s.Address)}})
			if err == nil {
				err = h.ServeDNS(sc.dnsService(s))
			}
			if err != nil {
				t.Fatalf("%s: DNS server %s: %v", sc.Path, s.Name, err)
			}
		}
		resolver = &alert.StubResolver{Servers: servers, Dial: devHost.Dial, Log: deviceLog}
	}

	dev, err := sc.model.start(sc.settings, device.Env{
		Hostname: sc.Device.Hostname,
		Seed:     seed.Derive(root, "device"),
		Dial:     devHost.Dial,
		Resolver: resolver,
		RootCAs:  ca.Pool,
		Log:      deviceLog,
	})
	if err != nil {
		t.Fatalf("%s: starting the %s: %v", sc.Path, sc.model.name, err)
	}

	triggers := slices.Clone(sc.Triggers)
	slices.SortStableFunc(triggers, func(a, b Trigger) int { return cmp.Compare(a.At, b.At) })
	for _, tr := range triggers {
		time.Sleep(tr.At.D() - time.Since(start))
		tl.add(time.Now(), rankScenario, "scenario", "trigger: "+tr.Event)
		dev.trigger(tr.Event, tr.For.D())
	}
	time.Sleep(sc.Duration.D() - time.Since(start))

	dev.device.Close()
	for _, s := range servers {
		s.close(t)
	}
	network.Close()

	return record(sc, root, start, tl, dev, servers, network.Trace())
}

type runningServer struct {
	spec Server
	srv  *fakesmtp.Server
	errc chan error
	n    int
}

func (s *runningServer) close(t *testing.T) {
	s.srv.Close()
	for range s.n {
		if err := <-s.errc; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("server %s: %v", s.spec.Host, err)
		}
	}
}

// Ranks of the timeline's sources; see golden.Entry.
const (
	rankScenario = iota
	rankNetwork  // what the network did explains what the ends saw
	rankDevice
	rankServer
)

// timeline collects entries from the device as they happen.
type timeline struct {
	start   time.Time
	mu      sync.Mutex
	entries []golden.Entry
	seq     map[string]int
}

func (tl *timeline) add(at time.Time, rank int, source, text string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.seq[source]++
	tl.entries = append(tl.entries, golden.Entry{At: at.Sub(tl.start), Rank: rank, Source: source, Seq: tl.seq[source], Text: text})
}

// record turns a finished run into its record and result.
func record(sc *Scenario, root uint64, start time.Time, tl *timeline, dev *runningDevice, servers []*runningServer, trace []netem.TraceEvent) *Result {
	res := &Result{Scenario: sc, Seed: root, Trace: trace, Start: start}
	hasSD := false
	if dev.sd != nil {
		hasSD = true
		res.SDCard = dev.sd()
	}
	rec := &golden.Record{}
	link := sc.Network.link()
	rec.Header = []golden.Field{
		{Name: "scenario", Value: sc.Name},
		{Name: "seed", Value: fmt.Sprint(root)},
		{Name: "device", Value: fmt.Sprintf("%s, host %s at %s, MTU %d", dev.name, sc.Device.Hostname, deviceAddrs(sc.Device), sc.Device.MTU)},
		{Name: "network", Value: describeLink(sc.Network.Profile, link)},
	}
	for _, f := range link.Faults {
		rec.Header = append(rec.Header, golden.Field{Name: "fault", Value: f.String()})
	}
	if servers, ok := sc.deviceDNS(); ok {
		for _, s := range sc.DNS.Servers {
			v := fmt.Sprintf("%s at %s", s.Name, s.Address)
			for _, f := range s.Faults {
				v += fmt.Sprintf(", %s", f.Kind)
				if f.Name != "" {
					v += " for " + f.Name
				}
			}
			rec.Header = append(rec.Header, golden.Field{Name: "dns server", Value: v})
		}
		dns := "none configured"
		if len(servers) > 0 {
			dns = joinAddrs(servers)
		}
		rec.Header = append(rec.Header, golden.Field{Name: "device dns", Value: dns})
	}
	for _, s := range servers {
		rec.Header = append(rec.Header, golden.Field{Name: "server", Value: s.spec.describe()})
	}
	rec.Header = append(rec.Header, golden.Field{Name: "duration", Value: sc.Duration.String()})

	outcomes := dev.device.Outcomes()
	if len(outcomes) == 0 {
		rec.Outcome = append(rec.Outcome, "no alerts")
	}
	for _, o := range outcomes {
		res.Alerts++
		res.Attempts += o.Attempts
		line := fmt.Sprintf("mail %d (%s): ", o.Mail, o.Kind)
		if o.Delivered {
			res.Delivered++
			line += fmt.Sprintf("delivered after %d attempt%s", o.Attempts, device.Plural(o.Attempts))
		} else {
			res.Failures = append(res.Failures, o.Class)
			line += fmt.Sprintf("failed after %d attempt%s (%s)", o.Attempts, device.Plural(o.Attempts), o.Class)
		}
		rec.Outcome = append(rec.Outcome, line)
	}
	failures := dev.device.FailureLog()
	res.FailureLog = failures
	if len(failures) == 0 {
		rec.Outcome = append(rec.Outcome, "failure log: empty")
	} else {
		rec.Outcome = append(rec.Outcome, "failure log:")
		for _, f := range failures {
			rec.Outcome = append(rec.Outcome, "  "+f.String())
		}
	}

	if hasSD {
		rec.Outcome = append(rec.Outcome, describeSD(res.SDCard))
	}

	rec.Timeline = tl.entries
	for i, e := range trace {
		rec.Timeline = append(rec.Timeline, golden.Entry{At: e.At.Sub(start), Rank: rankNetwork, Source: "net", Seq: i, Text: e.Host + ": " + e.Text()})
	}
	for _, s := range servers {
		for _, sess := range s.srv.Sessions() {
			source := fmt.Sprintf("%s #%d", s.spec.Host, sess.ID)
			for i, l := range sess.Transcript {
				rec.Timeline = append(rec.Timeline, golden.Entry{At: l.At.Sub(start), Rank: rankServer, Source: source, Seq: i, Text: l.String()})
			}
		}
		for _, m := range s.srv.Messages() {
			rec.Messages = append(rec.Messages, golden.Captured{Server: s.spec.Host, Message: m, Start: start})
		}
	}
	slices.SortStableFunc(rec.Messages, func(a, b golden.Captured) int {
		return a.Message.Received.Compare(b.Message.Received)
	})
	res.Messages = len(rec.Messages)
	for _, c := range rec.Messages {
		res.Captured = append(res.Captured, c.Message)
	}
	res.Record = rec.Render()

	if want := sc.Expect.Delivered; want != nil {
		res.Checks = append(res.Checks, Check{
			OK:   *want == res.Messages,
			Text: fmt.Sprintf("delivered: want %d, the servers accepted %d", *want, res.Messages),
		})
	}
	if want := sc.Expect.Attempts; want != nil {
		res.Checks = append(res.Checks, Check{
			OK:   *want == res.Attempts,
			Text: fmt.Sprintf("attempts: want %d, the device made %d", *want, res.Attempts),
		})
	}
	if want := sc.Expect.Failures; want != nil {
		got := make([]string, len(failures))
		for i, f := range failures {
			got[i] = string(f.Class)
		}
		res.Checks = append(res.Checks, Check{
			OK:   slices.Equal(*want, got),
			Text: fmt.Sprintf("failure log: want [%s], the device logged [%s]", strings.Join(*want, " "), strings.Join(got, " ")),
		})
	}
	if by := sc.Expect.DeliveredBy; by != nil {
		latest := time.Duration(0)
		for _, m := range res.Captured {
			latest = max(latest, m.Received.Sub(start))
		}
		res.Checks = append(res.Checks, Check{
			OK:   latest <= by.D(),
			Text: fmt.Sprintf("delivered by %v: the last message arrived at %s", *by, golden.Clock(latest)),
		})
	}
	return res
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func deviceAddrs(d Device) string {
	if d.IPv6 != "" {
		return d.Address + " and " + d.IPv6
	}
	return d.Address
}

// describeSD summarizes the SD card: how many frames of which alert.
func describeSD(files []ptz.SDFile) string {
	if len(files) == 0 {
		return "sd card: empty"
	}
	var parts []string
	for i := 0; i < len(files); {
		j := i
		for j < len(files) && files[j].Alert == files[i].Alert {
			j++
		}
		parts = append(parts, fmt.Sprintf("alert %d: %d", files[i].Alert, j-i))
		i = j
	}
	return fmt.Sprintf("sd card: %d frame%s (%s)", len(files), device.Plural(len(files)), strings.Join(parts, ", "))
}
