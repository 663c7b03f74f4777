package explore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"alertsim/fakesmtp"
	"alertsim/internal/seed"
	"alertsim/netem"
	"alertsim/sim/device"
)

// Filter narrows the worlds Generate draws: one model, one firmware (a
// shipped one or a test binary's variant). Empty fields take any.
type Filter struct {
	Model, Firmware string
}

// world is a spec being drawn: the installer's settings, then the
// variations a model's knowledge makes to them.
type world struct {
	spec *Spec
	// secondServer gives the device a second server (the DCS camera's
	// server 2); direct makes the mailer deliver by MX.
	secondServer, direct bool
}

// set gives a setting a value, replacing the installer's.
func (w *world) set(key string, v any) {
	s := &w.spec.Device.Settings
	if i := slices.IndexFunc(*s, func(st device.Setting) bool { return st.Key == key }); i >= 0 {
		(*s)[i].Value = v
		return
	}
	*s = append(*s, device.Setting{Key: key, Value: v})
}

// providers are how an installer logs in to each preset, as in the
// release gate's matrix: an app password where the provider demands one.
var providers = map[string]struct{ host, user, password, appPassword, from string }{
	"gmail-like":   {"smtp.gmail.com", "site.alerts@gmail.com", "Gm41l-Acc0unt!", "abcdefghijklmnop", "site.alerts@gmail.com"},
	"outlook-like": {"smtp-mail.outlook.com", "site.alerts@outlook.com", "0utlook-Acc0unt!", "qrstuvwxyzabcdef", "site.alerts@outlook.com"},
	"isp-relay":    {"mail.example-isp.net", "", "", "", "camera@example-isp.net"},
	"legacy-plain": {"mail.example.com", "camera", "Leg4cy-Pass", "", "camera@example.com"},
}

// CaseSeed is the seed of case index of a run from root: what a case's
// file and name carry, so that one case is replayed alone.
func CaseSeed(root uint64, index int) uint64 {
	return seed.Derive(root, fmt.Sprintf("explore case %d", index)) % 1_000_000_000
}

// Generate draws case index of the run from root: a model and firmware
// set up by its installer for a provider, settings varied as the settings
// page allows, a network profile and its overrides, faults on the link,
// DNS faults, server faults and triggers. The same root, index and filter
// always give the same spec. It returns an error when the filter names no
// model or firmware there is.
func Generate(root uint64, index int, f Filter) (*Spec, error) {
	m, fw, err := choose(seed.Rand(root, fmt.Sprintf("explore model %d", index)), f)
	if err != nil {
		return nil, err
	}
	cs := CaseSeed(root, index)
	r := seed.Rand(cs, "explore world")
	return draw(r, m, fw, cs), nil
}

// choose picks the model and firmware the filter allows.
func choose(r *rand.Rand, f Filter) (*device.Model, string, error) {
	var ms []*device.Model
	for _, m := range device.Models() {
		if f.Model == "" || m.Name == f.Model {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil, "", fmt.Errorf("explore: no model %q (models: %s)", f.Model, strings.Join(device.ModelNames(), ", "))
	}
	m := ms[r.IntN(len(ms))]
	fws := m.Firmwares
	if len(fws) == 0 {
		fws = []string{""}
	}
	if f.Firmware != "" {
		if _, ok := m.Variant(f.Firmware); !ok && !slices.Contains(m.Firmwares, f.Firmware) {
			return nil, "", fmt.Errorf("explore: the %s has no firmware %q (firmwares: %s)", m.Name, f.Firmware, strings.Join(m.Firmwares, ", "))
		}
		fws = []string{f.Firmware}
	}
	return m, fws[r.IntN(len(fws))], nil
}

// draw draws the world of a case.
func draw(r *rand.Rand, m *device.Model, fw string, cs uint64) *Spec {
	presets := fakesmtp.PresetNames()
	k, _ := knowledgeOf(m.Name)
	preset := pick(r, presets...)
	if len(k.presets) > 0 && chance(r, 0.85) {
		preset = pick(r, k.presets...)
	}
	p := providers[preset]
	password := p.password
	if p.appPassword != "" {
		password = p.appPassword
	}
	base := fw
	if v, ok := m.Variant(fw); ok {
		base = v.Base
	}
	profile := pick(r, netem.ProfileNames()...)
	setup := m.Installer(device.Provider{Preset: preset, Firmware: base, Host: p.host, Username: p.user, Password: password, From: p.from, Network: profile})

	spec := &Spec{
		Name:     fmt.Sprintf("explore-%d", cs),
		Seed:     cs,
		Device:   DeviceSpec{Model: m.Name, Firmware: fw, Settings: slices.Clone(setup.Settings)},
		Network:  NetworkSpec{Profile: profile},
		Triggers: nil,
	}
	spec.Description = fmt.Sprintf("explored: %s %s on %s to a %s server", m.Name, fw, profile, preset)
	w := &world{spec: spec}
	if k.vary != nil {
		k.vary(r, w)
	}
	if k.frames {
		// One scene for every explored camera: each place of its period
		// is encoded once in a process, and a frame costs its stamp
		// (sim/imaging's BenchmarkExploredFrames: 1.4 ms a frame, a seed
		// per run 22 ms). Two scenes cost a third more and overflow the
		// base cache with 4 MP frames.
		spec.Device.Scene = 1
	}

	// The server, mostly as the installer's guide expected it; now and
	// then another kind of server at that name.
	serverPreset := preset
	if chance(r, 0.08) {
		serverPreset = pick(r, presets...)
	}
	srv := ServerSpec{Host: p.host, Preset: serverPreset}
	if p.user != "" {
		a := AccountSpec{Username: p.user, Password: p.password}
		if p.appPassword != "" {
			a.TwoFactor, a.AppPasswords = true, []string{p.appPassword}
		}
		srv.Accounts = []AccountSpec{a}
	}
	serverFaults(r, &srv)
	spec.Servers = []ServerSpec{srv}
	if w.secondServer {
		// The DCS camera's server 2, a relay that takes over.
		w.set("smtp_server_2", "mail2.example.net")
		second := ServerSpec{Host: "mail2.example.net", Preset: "legacy-plain", SenderDomain: strings.SplitN(p.from, "@", 2)[1]}
		serverFaults(r, &second)
		spec.Servers = append(spec.Servers, second)
	}
	if w.direct {
		// The mailer delivers to the recipient's own domain, the server
		// being its mail exchanger (its implicit MX).
		w.set("delivery", "Direct")
		w.set("recipients", []string{"reader@" + p.host})
		spec.Servers[0].Listen = []ListenSpec{{Port: 25, Mode: pick(r, "plain", "starttls")}}
	}

	triggers(r, m, spec)
	network(r, spec)
	dns(r, m, spec)

	// The run goes on after the last trigger and fault long enough for
	// most mails to end, and sometimes not: a device switched off with
	// mail under way is a world too.
	end := time.Duration(0)
	for _, tr := range spec.Triggers {
		end = max(end, tr.At+tr.For)
	}
	for _, f := range spec.Network.Faults {
		end = max(end, f.At+f.For)
	}
	spec.Duration = end + pick(r, 30*time.Second, 3*time.Minute, 20*time.Minute, 45*time.Minute)
	if chance(r, 0.03) {
		spec.Device.Clock = pick(r, "-2h", "+3h")
	}
	return spec
}

// triggers draws the events: a few, or a storm of them that fills the
// device's mail queue.
func triggers(r *rand.Rand, m *device.Model, spec *Spec) {
	n := 1 + r.IntN(4)
	gap := func() time.Duration { return time.Duration(1+r.IntN(90)) * time.Second }
	if chance(r, 0.12) {
		n = 10 + r.IntN(6)
		gap = func() time.Duration { return time.Duration(200+r.IntN(3000)) * time.Millisecond }
	}
	at := time.Duration(1+r.IntN(10)) * time.Second
	events := m.Events
	main := events[0]
	for range n {
		ev := main
		if chance(r, 0.4) {
			ev = pick(r, events...)
		}
		tr := TriggerSpec{At: at, Event: ev}
		if m.Name == "dcs-camera" {
			tr.For = pick(r, 0, time.Second, 4*time.Second, 12*time.Second)
		}
		spec.Triggers = append(spec.Triggers, tr)
		at += gap()
	}
}

// network draws the profile's overrides and the link's faults, the faults
// around the triggers, where they hurt.
func network(r *rand.Rand, spec *Spec) {
	n := &spec.Network
	if chance(r, 0.15) {
		n.Loss = &LossSpec{Rate: pick(r, 0.0, 0.01, 0.03), EnterBurst: pick(r, 0.002, 0.01), ExitBurst: pick(r, 0.1, 0.3), BurstRate: pick(r, 0.5, 0.9)}
	}
	if chance(r, 0.1) {
		n.PathMTU, n.Blackhole = pick(r, 1400, 1428, 1280), chance(r, 0.7)
	}
	if chance(r, 0.05) {
		n.MSSClamp = pick(r, 1200, 536)
	}
	if chance(r, 0.1) {
		n.NATIdle = pick(r, 5*time.Second, 30*time.Second, 2*time.Minute)
	}
	if chance(r, 0.04) {
		n.BlockedPorts = []int{25}
	}
	if chance(r, 0.08) {
		n.Jitter = pick(r, 5*time.Millisecond, 40*time.Millisecond)
	}
	if chance(r, 0.05) {
		n.RTT = pick(r, 20*time.Millisecond, 600*time.Millisecond)
	}
	count := pick(r, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3)
	for range count {
		anchor := spec.Triggers[r.IntN(len(spec.Triggers))].At
		at := anchor + time.Duration(r.IntN(32_000)-2_000)*time.Millisecond
		f := FaultSpec{Kind: pick(r, netem.FaultKinds()...), At: max(at, 0), For: pick(r, 500*time.Millisecond, 3*time.Second, 15*time.Second, 45*time.Second, 2*time.Minute, 10*time.Minute)}
		switch f.Kind {
		case "reset":
			f.For, f.NoDuration = 0, true
		case "cut":
			f.For, f.NoDuration = 0, true
			f.Bytes = pick[int64](r, 500, 5_000, 60_000, 200_000)
		case "slow-close":
			f.Delay = pick(r, 2*time.Second, 20*time.Second)
		}
		n.Faults = append(n.Faults, f)
	}
}

// serverFaults draws a server's misbehaviour: greylisting, a rate limit,
// a tarpit, a hang-up mid-data, a certificate that does not verify, and
// replies replaced at any stage.
func serverFaults(r *rand.Rand, s *ServerSpec) {
	if chance(r, 0.08) {
		s.Greylist = pick(r, 5*time.Second, 30*time.Second, 2*time.Minute)
	}
	if chance(r, 0.05) {
		s.RateLimit = &RateLimitSpec{Messages: 1 + r.IntN(2), Per: pick(r, time.Minute, 10*time.Minute)}
	}
	if chance(r, 0.05) {
		s.Tarpit = pick(r, time.Second, 5*time.Second, 20*time.Second)
	}
	if chance(r, 0.05) {
		s.Disconnect = pick[int64](r, 1_000, 50_000)
	}
	if chance(r, 0.05) {
		s.Certificate = pick(r, "self-signed", "expired", "wrong-name")
	}
	if chance(r, 0.03) {
		s.MinTLS = pick(r, "1.2", "1.3")
	}
	for range pick(r, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2) {
		s.Faults = append(s.Faults, serverFault(r))
	}
}

// serverFault draws a reply replaced at a stage, with the codes real
// servers give there.
func serverFault(r *rand.Rand) ServerFaultSpec {
	type reply struct {
		code     int
		enhanced string
	}
	byStage := map[string][]reply{
		"connect":  {{421, "4.3.2"}, {554, "5.7.1"}, {0, ""}},
		"ehlo":     {{421, "4.7.0"}, {550, "5.7.1"}},
		"starttls": {{454, "4.7.0"}},
		"auth":     {{454, "4.7.0"}, {535, "5.7.8"}},
		"mail":     {{451, "4.3.0"}, {421, "4.7.0"}, {553, "5.7.1"}},
		"rcpt":     {{450, "4.2.0"}, {452, "4.5.3"}, {550, "5.1.1"}},
		"data":     {{451, "4.3.0"}, {552, "5.3.4"}, {554, "5.6.0"}},
	}
	stage := pick(r, fakesmtp.Stages()...)
	rp := pick(r, byStage[stage]...)
	f := ServerFaultSpec{Stage: stage, Code: rp.code, Enhanced: rp.enhanced, Times: pick(r, 0, 1, 1, 1, 2, 2)}
	if rp.code != 0 {
		f.Text = "explored fault"
		f.Hangup = chance(r, 0.2)
	}
	return f
}

// dns gives the world DNS servers now and then: the carrier's and
// Google's, with faults, the device set up to ask one or both.
func dns(r *rand.Rand, m *device.Model, spec *Spec) {
	if !chance(r, 0.2) {
		return
	}
	d := &DNSSpec{Servers: []DNSServerSpec{{Name: "carrier-dns", Address: "10.64.0.53"}}}
	spec.Device.DNSServers = []string{"10.64.0.53"}
	if chance(r, 0.5) {
		d.Servers = append(d.Servers, DNSServerSpec{Name: "google-dns", Address: "8.8.8.8"})
		spec.Device.DNSServers = append(spec.Device.DNSServers, "8.8.8.8")
	}
	for i := range d.Servers {
		if !chance(r, 0.5) {
			continue
		}
		f := DNSFaultSpec{Kind: pick(r, netem.DNSFaultKinds()...)}
		switch f.Kind {
		case "delay":
			f.Delay = pick(r, time.Second, 4*time.Second, 8*time.Second)
		case "wrong-address":
			f.Address = "198.51.100.99"
		}
		d.Servers[i].Faults = append(d.Servers[i].Faults, f)
	}
	spec.DNS = d
}
