package netem

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Record is one resource record a DNS service answers with.
type Record struct {
	// Name is the owner name ("smtp.gmail.com"); case and a final dot do
	// not matter.
	Name string
	// Type is A, AAAA, MX or CNAME.
	Type dnsmessage.Type
	// Addr is the address of an A or AAAA record.
	Addr netip.Addr
	// Target is the host of an MX or CNAME record; an MX with target "."
	// is a null MX (RFC 7505).
	Target string
	// Pref is an MX record's preference, lowest first.
	Pref uint16
	// TTL defaults to 300 seconds.
	TTL uint32
}

func (r Record) String() string {
	switch r.Type {
	case dnsmessage.TypeA, dnsmessage.TypeAAAA:
		return fmt.Sprintf("%s %s", strings.TrimPrefix(r.Type.String(), "Type"), r.Addr)
	case dnsmessage.TypeMX:
		return fmt.Sprintf("MX %d %s", r.Pref, r.Target)
	}
	return fmt.Sprintf("%s %s", strings.TrimPrefix(r.Type.String(), "Type"), r.Target)
}

// DNSFaultKind is how a DNS service misbehaves.
type DNSFaultKind uint8

const (
	// DNSNXDomain says the name does not exist.
	DNSNXDomain DNSFaultKind = iota
	// DNSServFail says the server failed (a broken recursive resolver).
	DNSServFail
	// DNSRefused refuses to answer (a resolver that serves only its own
	// customers).
	DNSRefused
	// DNSNoAnswer never answers: the client times out.
	DNSNoAnswer
	// DNSDelay answers correctly, Delay late.
	DNSDelay
	// DNSWrongAddress answers A queries with Addr.
	DNSWrongAddress
)

var dnsFaultNames = [...]string{"nxdomain", "servfail", "refused", "no-answer", "delay", "wrong-address"}

func (k DNSFaultKind) String() string {
	if int(k) < len(dnsFaultNames) {
		return dnsFaultNames[k]
	}
	return fmt.Sprintf("DNSFaultKind(%d)", uint8(k))
}

// ParseDNSFaultKind returns the kind called name ("servfail").
func ParseDNSFaultKind(name string) (DNSFaultKind, bool) {
	for i, n := range dnsFaultNames {
		if n == name {
			return DNSFaultKind(i), true
		}
	}
	return 0, false
}

// DNSFaultKinds returns the names of every DNS fault kind.
func DNSFaultKinds() []string { return dnsFaultNames[:] }

// DNSFault is a misbehaviour of a DNS service for one name, or for every
// name when Name is empty.
type DNSFault struct {
	Name  string
	Kind  DNSFaultKind
	Delay time.Duration // DNSDelay
	Addr  netip.Addr    // DNSWrongAddress
}

// DNSService is what a DNS server on the network answers: authoritative
// records for the scenario's names, and faults. It speaks the DNS wire
// format (golang.org/x/net/dns/dnsmessage) over UDP port 53.
type DNSService struct {
	Records []Record
	Faults  []DNSFault
}

// ServeDNS answers DNS queries to UDP port 53 of the host from svc until the
// network closes. The service runs on the network's event loop, so its
// answers and its trace are as deterministic as the packets.
func (h *Host) ServeDNS(svc DNSService) error {
	n := h.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errNetworkClosed
	}
	if h.udp[53] != nil || h.dns != nil {
		return fmt.Errorf("netem: %s: UDP port 53 is taken: %w", h.name, syscall.EADDRINUSE)
	}
	for _, r := range svc.Records {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("netem: %s: %w", h.name, err)
		}
	}
	svc.Records = append([]Record(nil), svc.Records...)
	svc.Faults = append([]DNSFault(nil), svc.Faults...)
	h.dns = &svc
	return nil
}

// Validate checks that the record has what its type needs.
func (r Record) Validate() error {
	switch r.Type {
	case dnsmessage.TypeA:
		if !r.Addr.Is4() {
			return fmt.Errorf("A record %s needs an IPv4 address", r.Name)
		}
	case dnsmessage.TypeAAAA:
		if !r.Addr.Is6() {
			return fmt.Errorf("AAAA record %s needs an IPv6 address", r.Name)
		}
	case dnsmessage.TypeMX, dnsmessage.TypeCNAME:
		if r.Target == "" {
			return fmt.Errorf("%v record %s needs a target", r.Type, r.Name)
		}
	default:
		return fmt.Errorf("record %s: type %v is not served (A, AAAA, MX, CNAME)", r.Name, r.Type)
	}
	return nil
}

func canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// answerDNS handles a query that reached the host's DNS service. Runs on
// the event loop.
func (h *Host) answerDNS(q *segment) {
	n := h.n
	msg, delay, e := h.dns.respond(q.payload)
	e.Flow = q.flow()
	n.record(h, e)
	if msg == nil {
		return
	}
	r := &segment{flags: flagUDP, src: q.dst, dst: q.src, payload: msg}
	if back := n.byAddr[q.src.Addr()]; back != nil {
		r.path = path(h, back)
	}
	r.key = eventKey{flow: flowID(q.dst, q.src), n: q.key.n}
	at := time.Now().Add(delay)
	n.schedule(at, r.key, func() { n.forward(r, 0, at) })
}

// Respond answers one query in DNS wire format as the service does on the
// emulated network, for a DNS server on real sockets: the reply (nil when
// a fault says to give none) and how long to hold it back.
func (s *DNSService) Respond(query []byte) (reply []byte, delay time.Duration, err error) {
	msg, delay, e := s.respond(query)
	if e.Err != nil {
		return nil, 0, e.Err
	}
	if msg == nil && e.Kind == EventDNSDropped {
		return nil, 0, fmt.Errorf("netem: DNS query dropped: %v", e.Reason)
	}
	return msg, delay, nil
}

// respond builds the answer to a query and the trace event that says what
// it was (its Flow left for the caller).
func (s *DNSService) respond(payload []byte) ([]byte, time.Duration, TraceEvent) {
	var p dnsmessage.Parser
	hdr, err := p.Start(payload)
	if err != nil {
		return nil, 0, TraceEvent{Kind: EventDNSDropped, Reason: ReasonMalformed}
	}
	question, err := p.Question()
	if err != nil {
		return nil, 0, TraceEvent{Kind: EventDNSDropped, Reason: ReasonNoQuestion}
	}
	name := canonical(question.Name.String())

	resp := dnsmessage.Header{ID: hdr.ID, Response: true, Authoritative: true, RecursionDesired: hdr.RecursionDesired, RecursionAvailable: true}
	var answers []Record
	delay := time.Duration(0)
	fault, faulty := s.fault(name)
	e := TraceEvent{DNS: DNSTrace{Name: name, Type: question.Type, Fault: fault, Faulty: faulty}}
	switch {
	case faulty && fault.Kind == DNSNoAnswer:
		e.Kind = EventDNSNoAnswer
		return nil, 0, e
	case faulty && fault.Kind == DNSNXDomain:
		resp.RCode = dnsmessage.RCodeNameError
	case faulty && fault.Kind == DNSServFail:
		resp.RCode = dnsmessage.RCodeServerFailure
	case faulty && fault.Kind == DNSRefused:
		resp.RCode = dnsmessage.RCodeRefused
	case faulty && fault.Kind == DNSWrongAddress && question.Type == dnsmessage.TypeA:
		answers = []Record{{Name: name, Type: dnsmessage.TypeA, Addr: fault.Addr}}
	default:
		if faulty && fault.Kind == DNSDelay {
			delay = fault.Delay
		}
		var known bool
		answers, known = s.lookup(name, question.Type)
		if !known {
			resp.RCode = dnsmessage.RCodeNameError
		}
	}

	b := dnsmessage.NewBuilder(nil, resp)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(question)
	b.StartAnswers()
	for _, a := range answers {
		if err := a.build(&b); err != nil {
			e.Kind, e.Reason, e.Err, e.DNS.Record = EventDNSEncodeFailed, ReasonBadRecord, err, a
			return nil, 0, e
		}
	}
	msg, err := b.Finish()
	if err != nil {
		e.Kind, e.Reason, e.Err = EventDNSEncodeFailed, ReasonBadMessage, err
		return nil, 0, e
	}
	e.Kind, e.DNS.RCode, e.DNS.Answers = EventDNSAnswer, resp.RCode, answers
	return msg, delay, e
}

// fault returns the fault that applies to name: one for the name itself
// before one for every name.
func (s *DNSService) fault(name string) (DNSFault, bool) {
	var any *DNSFault
	for i, f := range s.Faults {
		switch canonical(f.Name) {
		case name:
			return f, true
		case "":
			if any == nil {
				any = &s.Faults[i]
			}
		}
	}
	if any != nil {
		return *any, true
	}
	return DNSFault{}, false
}

// lookup returns the records answering a question, following CNAMEs, and
// whether the name exists at all.
func (s *DNSService) lookup(name string, qtype dnsmessage.Type) (answers []Record, known bool) {
	for hops := 0; hops < 8; hops++ {
		var cname *Record
		for i, r := range s.Records {
			if canonical(r.Name) != name {
				continue
			}
			known = true
			switch {
			case r.Type == qtype:
				answers = append(answers, r)
			case r.Type == dnsmessage.TypeCNAME:
				cname = &s.Records[i]
			}
		}
		if len(answers) > 0 && answers[len(answers)-1].Type == qtype || cname == nil || qtype == dnsmessage.TypeCNAME {
			return answers, known
		}
		answers = append(answers, *cname)
		name = canonical(cname.Target)
	}
	return answers, known
}

// build appends the record to a message.
func (r Record) build(b *dnsmessage.Builder) error {
	name, err := dnsmessage.NewName(canonical(r.Name) + ".")
	if err != nil {
		return err
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = 300
	}
	h := dnsmessage.ResourceHeader{Name: name, Class: dnsmessage.ClassINET, TTL: ttl}
	switch r.Type {
	case dnsmessage.TypeA:
		return b.AResource(h, dnsmessage.AResource{A: r.Addr.As4()})
	case dnsmessage.TypeAAAA:
		return b.AAAAResource(h, dnsmessage.AAAAResource{AAAA: r.Addr.As16()})
	}
	target, err := dnsmessage.NewName(canonical(r.Target) + ".")
	if err != nil {
		return err
	}
	if r.Type == dnsmessage.TypeMX {
		return b.MXResource(h, dnsmessage.MXResource{Pref: r.Pref, MX: target})
	}
	return b.CNAMEResource(h, dnsmessage.CNAMEResource{CNAME: target})
}
