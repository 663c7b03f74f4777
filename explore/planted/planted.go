// Package planted gives the ptz-4g model three firmware variants with a
// known defect each, for explore to be shown to find and shrink them. It
// registers them when imported; only test files import it (the explore
// test of package scenarios), so the shipped registry, which the gate,
// the schema and `alertsim list` read, never holds them (cmd/alertsim's
// TestShippedRegistryHasNoVariant).
//
// Each defect is planted around the shipped firmware 5.2.0, in what the
// firmware is given (its dial function, its log), not in its code:
//
//   - x-planted-queue drops a mail without a log entry when its mail
//     queue is full: its log loses the mail task's "mail dropped" line.
//   - x-planted-reuse retries over a closed connection: when a retry
//     connects to the server, it is handed the connection the attempt
//     before opened, closed by then, instead of a new one.
//   - x-planted-auth sends its credentials before STARTTLS under
//     Encryption TLS, which requires TLS: it slips an AUTH PLAIN in ahead
//     of the STARTTLS command and swallows the reply.
package planted

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"sync"

	"alertsim/sim/alert"
	"alertsim/sim/device"
	"alertsim/sim/ptz"
)

// The variants' versions.
const (
	Queue = "x-planted-queue"
	Reuse = "x-planted-reuse"
	Auth  = "x-planted-auth"
)

// base is the shipped firmware the variants are built on.
const base = "5.2.0"

func init() {
	device.RegisterVariant("ptz-4g", device.Variant{
		Version: Queue, Base: base, Summary: "drops a mail without a log entry when the mail queue is full",
		Start: func(s device.Settings, env device.Env, start func(device.Settings, device.Env) (device.Device, error)) (device.Device, error) {
			env.Log = withoutDrops(env.Log)
			return named(start(s, env))(Queue)
		},
	})
	device.RegisterVariant("ptz-4g", device.Variant{
		Version: Reuse, Base: base, Summary: "a retry reuses the closed connection of the attempt before",
		Start: func(s device.Settings, env device.Env, start func(device.Settings, device.Env) (device.Device, error)) (device.Device, error) {
			env.Dial, env.Log = reusing(env.Dial, env.Log)
			return named(start(s, env))(Reuse)
		},
	})
	device.RegisterVariant("ptz-4g", device.Variant{
		Version: Auth, Base: base, Summary: "sends the credentials before STARTTLS under Encryption TLS",
		Start: func(s device.Settings, env device.Env, start func(device.Settings, device.Env) (device.Device, error)) (device.Device, error) {
			if p, ok := s.(*ptz.Settings); ok && p.Encryption == ptz.EncryptionTLS && p.Username != "" {
				env.Dial = authFirst(env.Dial, p.Username, p.Password)
			}
			return named(start(s, env))(Auth)
		},
	})
}

// withoutDrops is the queue defect: the log never hears of a drop.
func withoutDrops(log func(alert.Event)) func(alert.Event) {
	return func(e alert.Event) {
		if strings.HasPrefix(e.Text, "mail dropped (") || log == nil {
			return
		}
		log(e)
	}
}

// reusing is the reuse defect: on a retry (the mail task logs "attempt
// 2: ..." as it begins one), the connection to the server is the one the
// attempt before opened, closed by then, instead of a new one. It returns
// the dial function and the log that tells it an attempt is a retry.
func reusing(dial alert.DialFunc, log func(alert.Event)) (alert.DialFunc, func(alert.Event)) {
	var mu sync.Mutex
	last := map[string]net.Conn{}
	retry := false
	watch := func(e alert.Event) {
		if strings.HasPrefix(e.Text, "attempt ") {
			mu.Lock()
			retry = !strings.HasPrefix(e.Text, "attempt 1:") && !strings.HasPrefix(e.Text, "attempt 1,")
			mu.Unlock()
		}
		if log != nil {
			log(e)
		}
	}
	reuse := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network != "tcp" {
			return dial(ctx, network, addr)
		}
		mu.Lock()
		c, again := last[addr], retry
		retry = false
		mu.Unlock()
		if again && c != nil {
			return c, nil
		}
		c, err := dial(ctx, network, addr)
		if err == nil {
			mu.Lock()
			last[addr] = c
			mu.Unlock()
		}
		return c, err
	}
	return reuse, watch
}

// authFirst is the credentials defect: every connection sends AUTH PLAIN
// with the login just before it sends STARTTLS.
func authFirst(dial alert.DialFunc, user, password string) alert.DialFunc {
	auth := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password)) + "\r\n"
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil || network != "tcp" {
			return c, err
		}
		return &leaky{Conn: c, auth: []byte(auth)}, nil
	}
}

type leaky struct {
	net.Conn
	auth []byte
	done bool
}

func (c *leaky) Write(p []byte) (int, error) {
	if !c.done && bytes.Equal(p, []byte("STARTTLS\r\n")) {
		c.done = true
		if _, err := c.Conn.Write(c.auth); err != nil {
			return 0, err
		}
		if err := skipReply(c.Conn); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

// skipReply reads one SMTP reply, all its lines, byte by byte, so that
// nothing after it is read from under the client.
func skipReply(r net.Conn) error {
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := r.Read(b); err != nil {
			return err
		}
		line = append(line, b[0])
		if b[0] != '\n' {
			continue
		}
		if len(line) >= 4 && line[3] == ' ' {
			return nil
		}
		if len(line) < 4 || line[3] != '-' {
			return errors.New("planted: not an SMTP reply")
		}
		line = line[:0]
	}
}

// named wraps the device the base firmware started so that its record
// names the variant: `ptz-4g x-planted-queue (5.2.0 with a planted
// defect) "PTZ Camera"`.
func named(d device.Device, err error) func(version string) (device.Device, error) {
	return func(version string) (device.Device, error) {
		if err != nil {
			return nil, err
		}
		return variant{Device: d, version: version}, nil
	}
}

type variant struct {
	device.Device
	version string
}

func (v variant) String() string {
	return strings.Replace(v.Device.String(), " "+base+" ", " "+v.version+" ("+base+" with a planted defect) ", 1)
}

func (v variant) Evidence() device.Evidence {
	if k, ok := v.Device.(device.EvidenceKeeper); ok {
		return k.Evidence()
	}
	return device.Evidence{}
}

func (v variant) Unsent() []string {
	if u, ok := v.Device.(interface{ Unsent() []string }); ok {
		return u.Unsent()
	}
	return nil
}
