package scenarios

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml/ast"

	"alertsim/fakesmtp"
	"alertsim/internal/smtpstatus"
	"alertsim/netem"
)

// Server is a fake SMTP server of the scenario.
type Server struct {
	located
	// Host is the server's DNS name; the device resolves it to Address.
	Host Hostname `yaml:"host" schema:"required"`
	// Address defaults to 203.0.113.10, .11, ... in the order of servers.
	Address Addr `yaml:"address"`
	// Preset makes it answer like a kind of real server: gmail-like,
	// outlook-like, isp-relay, legacy-plain. Its ports are the default
	// listeners, and the keys below override its rules.
	Preset Preset `yaml:"preset"`
	// Listen lists the ports and how each speaks.
	Listen []Listener `yaml:"listen"`
	// Certificate is valid (default), self-signed, expired or wrong-name.
	Certificate Certificate `yaml:"certificate"`
	// MinTLS refuses TLS handshakes older than this version ("1.2").
	MinTLS   TLSVersion `yaml:"min_tls"`
	Accounts []Account  `yaml:"accounts"`
	// AuthRequired refuses MAIL before AUTH (default: the preset's, or
	// true when there are accounts).
	AuthRequired *bool `yaml:"auth_required"`
	// RequireTLS refuses AUTH and MAIL before STARTTLS.
	RequireTLS *bool `yaml:"require_tls"`
	// AllowPlainAuth offers AUTH without TLS.
	AllowPlainAuth *bool `yaml:"allow_plain_auth"`
	// SenderDomains are the only domains MAIL FROM may use.
	SenderDomains   []Hostname `yaml:"sender_domains"`
	MaxMessageBytes *int64     `yaml:"max_message_bytes"`
	// Greylist refuses each new client, sender and recipient for this long.
	Greylist  *Duration  `yaml:"greylist"`
	RateLimit *RateLimit `yaml:"rate_limit"`
	// Tarpit holds back each reply.
	Tarpit *Duration `yaml:"tarpit"`
	// DisconnectAfter hangs up after this many bytes of message data.
	DisconnectAfter int64         `yaml:"disconnect_after"`
	Faults          []ServerFault `yaml:"faults"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (s *Server) UnmarshalYAML(node ast.Node) error {
	type plain Server
	return decodeSection(node, (*plain)(s), &s.located)
}

// Listener is one port of a server.
type Listener struct {
	Port Port `yaml:"port"`
	// Mode is plain, starttls or implicit-tls.
	Mode ListenMode `yaml:"mode"`
}

// ListenMode is how a listener speaks, by name.
type ListenMode fakesmtp.Mode

var listenModes = names[fakesmtp.Mode]{{"plain", fakesmtp.Plain}, {"starttls", fakesmtp.StartTLS}, {"implicit-tls", fakesmtp.ImplicitTLS}}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (m *ListenMode) UnmarshalYAML(node ast.Node) error {
	return listenModes.decode(node, "listener mode", listenModes.listed("modes"), (*fakesmtp.Mode)(m))
}

func (ListenMode) jsonSchema() map[string]any { return listenModes.schema() }

// Preset is a fakesmtp preset, by name; the zero Preset is none.
type Preset struct{ fakesmtp.Preset }

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (p *Preset) UnmarshalYAML(node ast.Node) error {
	s, ok := node.(*ast.StringNode)
	name := strings.TrimSpace(node.String())
	if ok {
		name = s.Value
	}
	found, ok := fakesmtp.LookupPreset(name)
	if !ok {
		return nodeError(node, fmt.Sprintf("unknown server preset %q", name), "presets: "+strings.Join(fakesmtp.PresetNames(), ", "))
	}
	p.Preset = found
	return nil
}

func (Preset) jsonSchema() map[string]any { return map[string]any{"enum": fakesmtp.PresetNames()} }

// Certificate is how the server's certificate is issued.
type Certificate string

var certificates = names[Certificate]{{"valid", "valid"}, {"self-signed", "self-signed"}, {"expired", "expired"}, {"wrong-name", "wrong-name"}}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (c *Certificate) UnmarshalYAML(node ast.Node) error {
	return certificates.decode(node, "certificate", certificates.listed("certificates"), c)
}

func (Certificate) jsonSchema() map[string]any { return certificates.schema() }

// TLSVersion is a TLS version as people write it ("1.2").
type TLSVersion string

var tlsVersions = names[uint16]{{"1.0", tls.VersionTLS10}, {"1.1", tls.VersionTLS11}, {"1.2", tls.VersionTLS12}, {"1.3", tls.VersionTLS13}}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (v *TLSVersion) UnmarshalYAML(node ast.Node) error {
	var version uint16
	if err := tlsVersions.decode(node, "TLS version", "1.0, 1.1, 1.2 or 1.3", &version); err != nil {
		return err
	}
	*v = TLSVersion(tlsVersions.nameOf(version))
	return nil
}

func (TLSVersion) jsonSchema() map[string]any { return tlsVersions.schema() }

// version returns the crypto/tls constant; 0 when unset.
func (v TLSVersion) version() uint16 {
	for _, n := range tlsVersions {
		if n.name == string(v) {
			return n.v
		}
	}
	return 0
}

// Account is a mailbox on a server.
type Account struct {
	located
	Username            string   `yaml:"username"`
	Password            string   `yaml:"password"`
	AppPasswords        []string `yaml:"app_passwords"`
	RevokedAppPasswords []string `yaml:"revoked_app_passwords"`
	// TwoFactor refuses the account password: only app passwords work.
	TwoFactor bool `yaml:"two_factor"`
	// Senders are the addresses the account may send from.
	Senders []mailbox `yaml:"senders"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (a *Account) UnmarshalYAML(node ast.Node) error {
	type plain Account
	return decodeSection(node, (*plain)(a), &a.located)
}

// RateLimit allows Messages messages in any window of Per.
type RateLimit struct {
	Messages int      `yaml:"messages"`
	Per      Duration `yaml:"per"`
}

// ServerFault replaces the server's reply at a stage of the dialogue.
type ServerFault struct {
	located
	// Stage is connect, ehlo, starttls, auth, mail, rcpt or data.
	Stage Stage `yaml:"stage"`
	// Code, Enhanced and Text are the reply ("550", "5.1.1", "..."). A
	// connect fault without a code hangs up without a word.
	Code     int       `yaml:"code"`
	Enhanced string    `yaml:"enhanced"`
	Text     replyText `yaml:"text"`
	// Recipient limits a rcpt fault to one address.
	Recipient mailbox `yaml:"recipient"`
	// Times is how often it strikes (default: every time).
	Times int `yaml:"times"`
	// Hangup closes the connection after the reply.
	Hangup bool `yaml:"hangup"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (f *ServerFault) UnmarshalYAML(node ast.Node) error {
	type plain ServerFault
	return decodeSection(node, (*plain)(f), &f.located)
}

// Stage is a fakesmtp stage, by name.
type Stage fakesmtp.Stage

var stages = func() names[fakesmtp.Stage] {
	var ns names[fakesmtp.Stage]
	for _, n := range fakesmtp.Stages() {
		s, _ := fakesmtp.ParseStage(n)
		ns = append(ns, named[fakesmtp.Stage]{n, s})
	}
	return ns
}()

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (s *Stage) UnmarshalYAML(node ast.Node) error {
	return stages.decode(node, "stage", stages.listed("stages"), (*fakesmtp.Stage)(s))
}

func (Stage) jsonSchema() map[string]any { return stages.schema() }

// checkServers checks every server, and that no two of them, nor the
// device, share a name or an address. Server i without an address gets
// 203.0.113.(10+i), in RFC 5737's TEST-NET-3.
func checkServers(l *loader, servers []Server, dev Device) error {
	hosts := map[string]string{}
	addrs := map[netip.Addr]string{dev.Address.Addr: "the device's address"}
	if dev.IPv6.IsValid() {
		addrs[dev.IPv6.Addr] = "the device's address"
	}
	for i := range servers {
		s := &servers[i]
		if s.Host == "" {
			return l.at(s.node, "a server needs a host name", "")
		}
		folded := strings.ToLower(strings.TrimSuffix(string(s.Host), "."))
		if first, dup := hosts[folded]; dup {
			hint := ""
			if first != string(s.Host) {
				hint = fmt.Sprintf("host names do not differ by case: %s is %s", s.Host, first)
			}
			return l.at(s.key("host"), fmt.Sprintf("server %s is defined twice", s.Host), hint)
		}
		hosts[folded] = string(s.Host)
		defaulted := !s.Address.IsValid()
		if defaulted {
			if i > 254-10 {
				return l.at(s.node, fmt.Sprintf("server %s needs an address: the default addresses 203.0.113.10-254 are used up", s.Host), "give it one: address: 198.51.100.25")
			}
			s.Address = Addr{netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)})}
		}
		if !s.Address.unicast() {
			return l.at(s.key("address"), fmt.Sprintf("%s is not a unicast address a server can have", s.Address), "")
		}
		if who, taken := addrs[s.Address.Addr]; taken {
			if defaulted {
				return l.at(s.node, fmt.Sprintf("server %s would get the default address %s, which is already %s", s.Host, s.Address, who), "give it an address of its own")
			}
			return l.at(s.key("address"), fmt.Sprintf("address %s is already %s", s.Address, who), "give each server an address of its own")
		}
		addrs[s.Address.Addr] = "server " + string(s.Host) + "'s"
		if err := s.check(l); err != nil {
			return err
		}
	}
	return nil
}

// check checks one server on its own.
func (s *Server) check(l *loader) error {
	if len(s.Listen) == 0 && s.Preset.Name == "" {
		return l.at(s.node, fmt.Sprintf("server %s listens on no port", s.Host), "add listen: [{port: 465, mode: implicit-tls}], or a preset")
	}
	ports := map[Port]bool{}
	for j, ln := range s.Listen {
		if ln.Port == 0 {
			return l.at(s.item("listen", j), "a listener needs a port", "{port: 465, mode: implicit-tls}")
		}
		if ports[ln.Port] {
			return l.at(s.item("listen", j), fmt.Sprintf("server %s listens on port %d twice", s.Host, ln.Port), "")
		}
		ports[ln.Port] = true
	}
	if r := s.RateLimit; r != nil && (r.Messages <= 0 || r.Per <= 0) {
		return l.at(s.key("rate_limit"), "a rate limit needs messages and per, both more than zero", "rate_limit: {messages: 10, per: 1h}")
	}
	if s.DisconnectAfter < 0 {
		return l.at(s.key("disconnect_after"), "disconnect_after cannot be negative", "")
	}
	if s.MaxMessageBytes != nil && *s.MaxMessageBytes < 0 {
		return l.at(s.key("max_message_bytes"), "max_message_bytes cannot be negative", "0 is no limit")
	}
	for j := range s.Accounts {
		s.Accounts[j].adopt(s.item("accounts", j))
		if s.Accounts[j].Username == "" {
			return l.at(s.Accounts[j].node, "an account needs a username", "")
		}
	}
	for j := range s.Faults {
		f := &s.Faults[j]
		f.adopt(s.item("faults", j))
		stage := fakesmtp.Stage(f.Stage)
		if stage == "" {
			return l.at(f.node, "a fault needs a stage", stages.listed("stages"))
		}
		if (f.Code != 0 || stage != fakesmtp.StageConnect) && (f.Code < 400 || f.Code > 599) {
			return l.at(f.node, fmt.Sprintf("a fault's code must be a 4xx or 5xx reply, not %d", f.Code), "code: 451, enhanced: 4.3.0, text: ...")
		}
		if code, err := smtpstatus.Parse(f.Enhanced); f.Enhanced != "" && (err != nil || !code.Matches(f.Code)) {
			return l.at(f.key("enhanced"), fmt.Sprintf("%q is not an enhanced status code for a %d reply", f.Enhanced, f.Code), "class.subject.detail, the class matching the code: 5.1.1 for 550")
		}
		if f.Recipient != "" && stage != fakesmtp.StageRcpt {
			return l.at(f.key("recipient"), "only a rcpt fault has a recipient", "")
		}
		if f.Times < 0 {
			return l.at(f.key("times"), "times cannot be negative", "")
		}
	}
	return nil
}

// listeners returns the server's ports: its own, or its preset's.
func (s *Server) listeners() []fakesmtp.Listener {
	if len(s.Listen) == 0 {
		return s.Preset.Listeners
	}
	out := make([]fakesmtp.Listener, len(s.Listen))
	for i, l := range s.Listen {
		out[i] = fakesmtp.Listener{Port: int(l.Port), Mode: fakesmtp.Mode(l.Mode)}
	}
	return out
}

// certificate issues the server's certificate as the scenario asks, valid
// around now (the scenario's start) unless it is to be expired.
func (s *Server) certificate(ca *fakesmtp.CA, now time.Time) (tls.Certificate, error) {
	opts := fakesmtp.CertOptions{Hosts: []string{string(s.Host)}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)}
	switch s.Certificate {
	case "self-signed":
		opts.SelfSigned = true
	case "expired":
		opts.NotBefore = now.AddDate(-2, 0, 0)
		opts.NotAfter = now.AddDate(-1, 0, 0)
	case "wrong-name":
		opts.Hosts = []string{"mail.wrong-name.example"}
	}
	return ca.Issue(opts)
}

// configure builds the fake server the scenario describes, at now by the
// world's calendar.
func (s *Server) configure(ca *fakesmtp.CA, now time.Time) (*fakesmtp.Server, error) {
	cert, err := s.certificate(ca, now)
	if err != nil {
		return nil, err
	}
	srv := fakesmtp.NewServer()
	srv.Domain = string(s.Host)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, a := range s.Accounts {
		srv.Accounts = append(srv.Accounts, fakesmtp.Account{
			Username: a.Username, Password: a.Password, AppPasswords: a.AppPasswords,
			RevokedAppPasswords: a.RevokedAppPasswords, TwoFactor: a.TwoFactor,
		})
		for _, m := range a.Senders {
			srv.Accounts[len(srv.Accounts)-1].Senders = append(srv.Accounts[len(srv.Accounts)-1].Senders, string(m))
		}
	}
	srv.AuthRequired = len(s.Accounts) > 0
	if s.Preset.Name != "" {
		s.Preset.Apply(srv)
	}
	if v := s.MinTLS.version(); v != 0 {
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
		srv.SenderDomains = nil
		for _, d := range s.SenderDomains {
			srv.SenderDomains = append(srv.SenderDomains, string(d))
		}
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
	for i := range s.Faults {
		srv.Faults = append(srv.Faults, s.Faults[i].fakesmtp())
	}
	return srv, nil
}

func (f *ServerFault) fakesmtp() fakesmtp.Fault {
	out := fakesmtp.Fault{Stage: fakesmtp.Stage(f.Stage), Recipient: string(f.Recipient), Times: f.Times, Hangup: f.Hangup}
	if f.Code != 0 {
		out.Reply = fakesmtp.NewReply(f.Code, f.Enhanced, string(f.Text))
	}
	return out
}

// describe says what the server is, for the record's header.
func (s *Server) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %s", s.Host, s.Address)
	if s.Preset.Name != "" {
		fmt.Fprintf(&b, " (%s)", s.Preset.Name)
	}
	var ls []string
	for _, l := range s.listeners() {
		ls = append(ls, fmt.Sprintf("%d %s", l.Port, listenModes.nameOf(l.Mode)))
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
	for i := range s.Faults {
		fmt.Fprintf(&b, "; fault: %v", s.Faults[i].fakesmtp())
	}
	return b.String()
}

// runningServer is a server of the scenario, serving its ports on the
// network.
type runningServer struct {
	spec *Server
	srv  *fakesmtp.Server
	errc chan error
	n    int

	mu   sync.Mutex
	kept []kept
}

// startServer adds the server's host to the network and serves its ports.
func startServer(n *netem.Network, ca *fakesmtp.CA, spec *Server, now time.Time, budget *rawBudget, keyLog io.Writer) (*runningServer, error) {
	host, err := n.AddHost(netem.HostConfig{Name: string(spec.Host), Addrs: []netip.Addr{spec.Address.Addr}})
	if err != nil {
		return nil, err
	}
	srv, err := spec.configure(ca, now)
	if err != nil {
		return nil, err
	}
	// The server's side of every handshake writes its secrets: one place
	// that sees every session, whatever the device's TLS library.
	srv.TLSConfig.KeyLogWriter = keyLog
	listeners := spec.listeners()
	rs := &runningServer{spec: spec, srv: srv, errc: make(chan error, len(listeners))}
	rs.capture(budget)
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
