package scenarios

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
)

var modes = map[string]fakesmtp.Mode{
	"plain":        fakesmtp.Plain,
	"starttls":     fakesmtp.StartTLS,
	"implicit-tls": fakesmtp.ImplicitTLS,
}

var modeNames = map[fakesmtp.Mode]string{
	fakesmtp.Plain:       "plain",
	fakesmtp.StartTLS:    "starttls",
	fakesmtp.ImplicitTLS: "implicit-tls",
}

var tlsVersions = map[string]uint16{
	"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13,
}

var certificates = []string{"valid", "self-signed", "expired", "wrong-name"}

// listeners returns the server's ports: its own, or its preset's.
func (s *Server) listeners() []fakesmtp.Listener {
	if len(s.Listen) > 0 {
		out := make([]fakesmtp.Listener, len(s.Listen))
		for i, l := range s.Listen {
			out[i] = fakesmtp.Listener{Port: l.Port, Mode: modes[l.Mode]}
		}
		return out
	}
	p, _ := fakesmtp.LookupPreset(s.Preset)
	return p.Listeners
}

// certificate issues the server's certificate as the scenario asks.
func (s *Server) certificate(ca *fakesmtp.CA) (tls.Certificate, error) {
	opts := fakesmtp.CertOptions{Hosts: []string{s.Host}}
	switch s.Certificate {
	case "self-signed":
		opts.SelfSigned = true
	case "expired":
		opts.NotBefore = time.Now().AddDate(-2, 0, 0)
		opts.NotAfter = time.Now().AddDate(-1, 0, 0)
	case "wrong-name":
		opts.Hosts = []string{"mail.wrong-name.example"}
	}
	return ca.Issue(opts)
}

// configure builds the fake server the scenario describes.
func (s *Server) configure(ca *fakesmtp.CA) (*fakesmtp.Server, error) {
	cert, err := s.certificate(ca)
	if err != nil {
		return nil, err
	}
	srv := fakesmtp.NewServer()
	srv.Domain = s.Host
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, a := range s.Accounts {
		srv.Accounts = append(srv.Accounts, fakesmtp.Account{
			Username: a.Username, Password: a.Password, AppPasswords: a.AppPasswords,
			RevokedAppPasswords: a.RevokedAppPasswords, TwoFactor: a.TwoFactor, Senders: a.Senders,
		})
	}
	srv.AuthRequired = len(s.Accounts) > 0
	if p, ok := fakesmtp.LookupPreset(s.Preset); ok {
		p.Apply(srv)
	}
	if v, ok := tlsVersions[s.MinTLS]; ok {
		srv.TLSConfig.MinVersion = v
	}
	if s.AuthRequired != nil {
		srv.AuthRequired = *s.AuthRequired
	}
	if s.RequireTLS != nil {
		srv.RequireTLS = *s.RequireTLS
	}
	if s.AllowPlainAuth != nil {
		srv.AllowInsecureAuth = *s.AllowPlainAuth
	}
	if len(s.SenderDomains) > 0 {
		srv.SenderDomains = s.SenderDomains
	}
	if s.MaxMessageBytes != nil {
		srv.MaxMessageBytes = *s.MaxMessageBytes
	}
	if s.Greylist != nil {
		srv.Greylist = s.Greylist.D()
	}
	if s.RateLimit != nil {
		srv.RateLimit = fakesmtp.RateLimit{Messages: s.RateLimit.Messages, Per: s.RateLimit.Per.D()}
	}
	if s.Tarpit != nil {
		srv.Tarpit = s.Tarpit.D()
	}
	srv.DisconnectAfter = s.DisconnectAfter
	for _, f := range s.Faults {
		srv.Faults = append(srv.Faults, f.fakesmtp())
	}
	return srv, nil
}

func (f *ServerFault) fakesmtp() fakesmtp.Fault {
	stage, _ := fakesmtp.ParseStage(f.Stage)
	out := fakesmtp.Fault{Stage: stage, Recipient: f.Recipient, Times: f.Times, Hangup: f.Hangup}
	if f.Code != 0 {
		out.Reply = fakesmtp.NewReply(f.Code, f.Enhanced, f.Text)
	}
	return out
}

// describe says what the server is, for the record's header.
func (s *Server) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %s", s.Host, s.Address)
	if s.Preset != "" {
		fmt.Fprintf(&b, " (%s)", s.Preset)
	}
	var ls []string
	for _, l := range s.listeners() {
		ls = append(ls, fmt.Sprintf("%d %s", l.Port, modeNames[l.Mode]))
	}
	fmt.Fprintf(&b, ", listening on %s", strings.Join(ls, ", "))
	if s.Certificate != "" && s.Certificate != "valid" {
		fmt.Fprintf(&b, ", %s certificate", s.Certificate)
	}
	if s.MinTLS != "" {
		fmt.Fprintf(&b, ", TLS %s or later", s.MinTLS)
	}
	if s.Greylist != nil {
		fmt.Fprintf(&b, ", greylisting %v", s.Greylist)
	}
	if s.RateLimit != nil {
		fmt.Fprintf(&b, ", %d messages per %v", s.RateLimit.Messages, s.RateLimit.Per)
	}
	if s.Tarpit != nil {
		fmt.Fprintf(&b, ", replies %v late", s.Tarpit)
	}
	if s.DisconnectAfter > 0 {
		fmt.Fprintf(&b, ", hangs up after %d bytes of data", s.DisconnectAfter)
	}
	for _, f := range s.Faults {
		fmt.Fprintf(&b, "; fault: %v", f.fakesmtp())
	}
	return b.String()
}

// startServer adds the server's host to the network and serves its ports.
func startServer(n *netem.Network, ca *fakesmtp.CA, spec Server) (*runningServer, error) {
	host, err := n.AddHost(netem.HostConfig{Name: spec.Host, Addrs: []netip.Addr{netip.MustParseAddr(spec.Address)}})
	if err != nil {
		return nil, err
	}
	srv, err := spec.configure(ca)
	if err != nil {
		return nil, err
	}
	listeners := spec.listeners()
	rs := &runningServer{spec: spec, srv: srv, errc: make(chan error, len(listeners))}
	for _, ln := range listeners {
		l, err := host.Listen("tcp", fmt.Sprintf(":%d", ln.Port))
		if err != nil {
			srv.Close()
			return nil, err
		}
		rs.n++
		go func() { rs.errc <- srv.Serve(l, ln.Mode) }()
	}
	return rs, nil
}
