package scenarios

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// valid is a minimal good scenario; the bad cases below each break one
// thing in it.
const valid = `seed: 1
duration: 60s
device:
  model: ptz-4g
  settings:
    smtp_server: smtp.gmail.com
    username: cam@gmail.com
    password: app-password
    sender_address: cam@gmail.com
    recipient_address: owner@example.com
network:
  profile: 4g-good
servers:
  - host: smtp.gmail.com
    listen:
      - port: 465
        mode: implicit-tls
triggers:
  - at: 5s
    event: motion
`

func TestParseValid(t *testing.T) {
	sc, err := Parse("ok.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "ok" || sc.Duration.D().Seconds() != 60 || sc.Servers[0].Address.String() != "203.0.113.10" || sc.Device.Hostname != "ptz-camera" {
		t.Errorf("defaults not applied: %+v", sc)
	}
}

// TestParseRejectsBadInput: every malformed file gives an error naming the
// file, line and column of the problem, and what is wrong; never a panic.
func TestParseRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       string // the start of the error
	}{
		{"unknown top-level key", strings.Replace(valid, "seed: 1\n", "seed: 1\nsed: 2\n", 1),
			`bad.yaml:2:1: unknown field "sed"`},
		{"unknown setting", strings.Replace(valid, "    username:", "    user_name: x\n    username:", 1),
			`bad.yaml:7:5: unknown field "user_name"`},
		{"bad duration", strings.Replace(valid, "duration: 60s", "duration: 60 seconds", 1),
			`bad.yaml:2:11: "60 seconds" is not a duration (write a number with a unit`},
		{"duration without unit", strings.Replace(valid, "duration: 60s", "duration: 60", 1),
			`bad.yaml:2:11: 60 is not a duration`},
		{"bad trigger time", strings.Replace(valid, "at: 5s", "at: soon", 1),
			`bad.yaml:19:9: "soon" is not a duration`},
		{"missing duration", strings.Replace(valid, "duration: 60s\n", "", 1),
			`bad.yaml: the scenario needs a duration`},
		{"unknown model", strings.Replace(valid, "model: ptz-4g", "model: ptz-5g", 1),
			`bad.yaml:4:10: unknown device model "ptz-5g" (models: bb-camera, dcs-camera, dir-router, mailer, ptz-4g, smtp-agent)`},
		{"unknown profile", strings.Replace(valid, "profile: 4g-good", "profile: 5g", 1),
			`bad.yaml:12:12: unknown network profile "5g" (profiles: lan, fiber`},
		{"unknown mode", strings.Replace(valid, "mode: implicit-tls", "mode: ssl", 1),
			`bad.yaml:17:15: unknown listener mode "ssl" (modes: plain, starttls, implicit-tls)`},
		{"bad port", strings.Replace(valid, "port: 465", "port: 70000", 1),
			`bad.yaml:16:15: port 70000 is outside 1-65535`},
		{"unknown event", strings.Replace(valid, "event: motion", "event: earthquake", 1),
			`bad.yaml:20:12: the ptz-4g does not know the event "earthquake" (events: motion, human, vehicle, line-crossing, region-intrusion, test-email)`},
		{"trigger after the end", strings.Replace(valid, "at: 5s", "at: 90s", 1),
			`bad.yaml:19:9: trigger at 1m30s is after the end of the run (1m0s)`},
		{"bad sender address in the UI's words", strings.Replace(valid, "sender_address: cam@gmail.com", "sender_address: cam at gmail", 1),
			`bad.yaml:9:21: ptz-4g setting sender_address: You MUST enter a valid e-mail address format`},
		{"wrong type", strings.Replace(valid, "seed: 1", "seed: one", 1),
			`bad.yaml:1:7: cannot unmarshal string into Go struct field Scenario.Seed of type uint64`},
		{"negative seed", strings.Replace(valid, "seed: 1", "seed: -1", 1),
			`bad.yaml:1:7: cannot unmarshal -1 into Go value of type uint64`},
		{"syntax error", strings.Replace(valid, "profile: 4g-good", "profile: [4g-good", 1),
			`bad.yaml:13:1: ',' or ']' must be specified`},
		{"tab indentation", strings.Replace(valid, "  model: ptz-4g", "\tmodel: ptz-4g", 1),
			`bad.yaml:4:1: a tab character (YAML indents with spaces, not tabs)`},
		{"duplicate key", strings.Replace(valid, "seed: 1\n", "seed: 1\nseed: 2\n", 1),
			`bad.yaml:2:1: mapping key "seed" already defined at [1:1]`},
		{"not a mapping", "- seed: 1\n", `bad.yaml:1:1: a scenario is a mapping of keys`},
		{"empty file", "", `bad.yaml: the file is empty`},
		{"two documents", valid + "---\nseed: 2\n", `bad.yaml:22:1: a file holds one scenario`},
		{"server without listener", strings.Replace(valid, "    listen:\n      - port: 465\n        mode: implicit-tls\n", "", 1),
			`bad.yaml:14:5: server smtp.gmail.com listens on no port`},
		{"unknown firmware", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  firmware: 6.0\n", 1),
			`bad.yaml:5:13: the ptz-4g has no firmware "6.0" (firmware versions: 5.2.0, 4.1.8)`},
		{"SSL on the old firmware, in the UI's words", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  firmware: 4.1.8\n", 1),
			`bad.yaml:7:5: ptz-4g setting encryption: This firmware supports TLS only. Select TLS and port 587.`},
		{"device MTU against the settings' MTU", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  mtu: 1380\n", 1),
			`bad.yaml:5:8: device mtu 1380 contradicts the settings' mtu 1500`},
		{"negative trigger length", strings.Replace(valid, "event: motion", "event: motion\n    for: -5s", 1),
			`bad.yaml:21:10: "-5s" is not a duration`},
		{"unknown failure class", valid + "expect:\n  failures: [timeout, dns-error]\n",
			`bad.yaml:22:23: unknown failure class "dns-error" (classes: dns, connect-timeout`},
		{"unknown kernel", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  kernel: linux-2.6\n", 1),
			`bad.yaml:5:11: unknown kernel "linux-2.6" (kernels: linux-6.5, linux-4.19`},
		{"delivery_time without max", valid + "expect:\n  delivery_time: {min: 15s}\n",
			`bad.yaml:22:19: delivery_time needs both min and max`},
		{"delivery_time upside down", valid + "expect:\n  delivery_time: {min: 20s, max: 15s}\n",
			`bad.yaml:22:24: min 20s is more than max 15s`},
		{"delivery_time after the end", valid + "expect:\n  delivery_time: {min: 20s, max: 2m}\n",
			`bad.yaml:22:34: max 2m0s is longer than the run (1m0s)`},
		{"delivered_by after the end", valid + "expect:\n  delivered_by: 2m\n",
			`bad.yaml:22:17: delivered_by 2m0s is after the end of the run (1m0s)`},
		{"IPv4 given as ipv6", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  ipv6: 192.0.2.10\n", 1),
			`bad.yaml:5:9: 192.0.2.10 is not a unicast IPv6 address (2001:db8::10)`},
		{"router with a port, in the UI's words", "seed: 1\nduration: 1m\ndevice:\n  model: dir-router\n  settings:\n    port: 587\nnetwork:\n  profile: lan\n",
			`bad.yaml:6:11: dir-router setting port: There is no SMTP port setting: the router sends e-mail on port 25 only.`},
		{"four destinations on the BB camera", "seed: 1\nduration: 1m\ndevice:\n  model: bb-camera\n  settings:\n    smtp_server: mail.example.com\n    reply_address: a@example.com\n    destination_addresses: [a@example.com, b@example.com, c@example.com, d@example.com]\nnetwork:\n  profile: lan\n",
			`bad.yaml:8:28: bb-camera setting destination_addresses: Up to 3 destination e-mail addresses can be entered.`},

		// What the runner cannot play is refused here, not found out in
		// replay: before the typed plan, the first two passed validate and
		// panicked in replay, the others played something else than
		// written.
		{"two servers on one address", strings.Replace(valid, "  - host: smtp.gmail.com\n", "  - host: other.example\n    address: 198.51.100.25\n    listen: [{port: 465, mode: implicit-tls}]\n  - host: smtp.gmail.com\n    address: 198.51.100.25\n", 1),
			`bad.yaml:18:14: address 198.51.100.25 is already server other.example's (give each server an address of its own)`},
		{"a server's address taken by another's default", strings.Replace(valid, "servers:\n", "servers:\n  - host: other.example\n    address: 203.0.113.11\n    listen: [{port: 465, mode: implicit-tls}]\n", 1),
			`bad.yaml:17:5: server smtp.gmail.com would get the default address 203.0.113.11, which is already server other.example's (give it an address of its own)`},
		{"a server at the device's address", strings.Replace(valid, "  - host: smtp.gmail.com\n", "  - host: smtp.gmail.com\n    address: 192.0.2.10\n", 1),
			`bad.yaml:15:14: address 192.0.2.10 is already the device's address (give each server an address of its own)`},
		{"a port listed twice", strings.Replace(valid, "        mode: implicit-tls\n", "        mode: implicit-tls\n      - port: 465\n        mode: starttls\n", 1),
			`bad.yaml:18:9: server smtp.gmail.com listens on port 465 twice`},
		{"more servers than default addresses", strings.Replace(valid, "servers:\n", "servers:\n"+manyServers(245), 1),
			`bad.yaml:259:5: server smtp.gmail.com needs an address: the default addresses 203.0.113.10-254 are used up (give it one: address: 198.51.100.25)`},
		{"host names equal but for case", strings.Replace(valid, "servers:\n", "servers:\n  - host: SMTP.Gmail.com\n    listen: [{port: 465, mode: implicit-tls}]\n", 1),
			`bad.yaml:16:11: server smtp.gmail.com is defined twice (host names do not differ by case: smtp.gmail.com is SMTP.Gmail.com)`},
		{"a fault after the end of the run", strings.Replace(valid, "  profile: 4g-good\n", "  profile: 4g-good\n  faults:\n    - {kind: down, at: 2m, for: 10s}\n", 1),
			`bad.yaml:14:24: fault at 2m0s is after the end of the run (1m0s) (lengthen duration or move the fault)`},
		{"a multicast server address", strings.Replace(valid, "  - host: smtp.gmail.com\n", "  - host: smtp.gmail.com\n    address: 224.0.0.25\n", 1),
			`bad.yaml:15:14: 224.0.0.25 is not a unicast address a server can have`},
		{"an unspecified DNS server address", valid + "dns:\n  servers:\n    - address: 0.0.0.0\n",
			`bad.yaml:23:16: 0.0.0.0 is not a unicast address a DNS server can have`},
		{"a broadcast device address", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  address: 255.255.255.255\n", 1),
			`bad.yaml:5:12: 255.255.255.255 is not a unicast address a device can have (192.0.2.10)`},
		{"an IPv6 device address", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  address: 2001:db8::10\n", 1),
			`bad.yaml:5:12: 2001:db8::10 is not an IPv4 address (give an IPv6 address as ipv6:)`},
		{"a negative size limit", strings.Replace(valid, "    listen:\n", "    max_message_bytes: -1\n    listen:\n", 1),
			`bad.yaml:15:24: max_message_bytes cannot be negative (0 is no limit)`},
		{"a negative byte count", strings.Replace(valid, "  profile: 4g-good\n", "  profile: 4g-good\n  faults:\n    - {kind: cut, at: 1s, bytes: -5}\n", 1),
			`bad.yaml:14:34: bytes cannot be negative`},
		{"a control character in a host name", strings.Replace(valid, "  - host: smtp.gmail.com\n", "  - host: \"smtp.gmail.com\\r\\nX-Injected: yes\"\n", 1),
			`bad.yaml:14:11: "smtp.gmail.com\r\nX-Injected: yes" is not a host name`},
		{"a control character in the device's host name", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  hostname: \"cam\\x00\"\n", 1),
			`bad.yaml:5:13: "cam\x00" is not a host name`},
		{"a control character in a DNS server's name", valid + "dns:\n  servers:\n    - name: \"dns\\n1\"\n      address: 198.51.100.53\n",
			`bad.yaml:23:13: "dns\n1" is not a name (printable characters on one line)`},
		{"no device section", strings.Replace(valid, "device:\n  model: ptz-4g\n  settings:\n    smtp_server: smtp.gmail.com\n    username: cam@gmail.com\n    password: app-password\n    sender_address: cam@gmail.com\n    recipient_address: owner@example.com\n", "", 1),
			`bad.yaml: the scenario needs a device (device: {model: ptz-4g, settings: {...}})`},
		{"a null device", strings.Replace(valid, "device:\n  model: ptz-4g\n  settings:\n    smtp_server: smtp.gmail.com\n    username: cam@gmail.com\n    password: app-password\n    sender_address: cam@gmail.com\n    recipient_address: owner@example.com\n", "device: ~\n", 1),
			`bad.yaml:3:9: the device needs a model`},
		{"no network section", strings.Replace(valid, "network:\n  profile: 4g-good\n", "", 1),
			`bad.yaml: the network needs a profile`},
		{"a null network", strings.Replace(valid, "network:\n  profile: 4g-good\n", "network: ~\n", 1),
			`bad.yaml:11:10: the network needs a profile`},
		{"a null server", strings.Replace(valid, "servers:\n", "servers:\n  - ~\n", 1),
			`bad.yaml:14:5: a server needs a host name`},
		{"a null fault", strings.Replace(valid, "  profile: 4g-good\n", "  profile: 4g-good\n  faults: [~]\n", 1),
			`bad.yaml:13:12: a fault needs a kind`},
		{"a null trigger", strings.Replace(valid, "triggers:\n", "triggers:\n  - ~\n", 1),
			`bad.yaml:19:5: a trigger needs an event`},
		{"the device named as a server", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  hostname: smtp.gmail.com\n", 1),
			`bad.yaml:15:11: smtp.gmail.com is already the device's host name (every host on the network needs a name of its own)`},
		{"a DNS server named as a server", valid + "dns:\n  servers:\n    - name: SMTP.gmail.com\n      address: 198.51.100.53\n",
			`bad.yaml:23:13: SMTP.gmail.com is already the host name of a server`},
		{"two DNS servers of one name", valid + "dns:\n  servers:\n    - address: 198.51.100.53\n    - name: dns-1\n      address: 198.51.100.54\n",
			`bad.yaml:24:13: dns-1 is already the name of a host`},
		{"an IPv4-mapped server address", strings.Replace(valid, "  - host: smtp.gmail.com\n", "  - host: smtp.gmail.com\n    address: \"::ffff:192.0.2.10\"\n", 1),
			`bad.yaml:15:14: ::ffff:192.0.2.10 is an IPv4-mapped IPv6 address (write it as 192.0.2.10)`},
		{"a control character in the scenario's name", "name: \"x\\ny\"\n" + valid,
			`bad.yaml:1:7: "x\ny" is not a name (printable characters on one line)`},
		{"a carriage return in a fault's text", strings.Replace(valid, "    listen:\n", "    faults:\n      - {stage: mail, code: 451, text: \"busy\\r\\nX: y\"}\n    listen:\n", 1),
			`bad.yaml:16:40: "busy\r\nX: y" is not a reply text`},
		{"a line feed in a fault's recipient", strings.Replace(valid, "    listen:\n", "    faults:\n      - {stage: rcpt, code: 550, recipient: \"a@example.com\\nb\"}\n    listen:\n", 1),
			`bad.yaml:16:45: "a@example.com\nb" is not an e-mail address`},
		{"a tagged null in a model's settings", "seed: 1\nduration: 1m\ndevice:\n  model: bb-camera\n  settings:\n    destination_addresses: !foo\n",
			`bad.yaml:6:5: cannot parse the scenario`},
		{"a fault without a kind", strings.Replace(valid, "  profile: 4g-good\n", "  profile: 4g-good\n  faults:\n    - {at: 1s, for: 10s}\n", 1),
			`bad.yaml:14:8: a fault needs a kind (faults: down, reset, stall, slow-close, cut, no-signal)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v (%T), want *scenarios.Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n  %s\nwant it to start with:\n  %s", err, tc.want)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "testdata/does-not-exist.yaml: cannot read the scenario") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// FuzzParse feeds the loader arbitrary bytes: it must return a scenario or
// an *Error, and never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("seed: [1\n"))
	f.Add([]byte("duration: 60x\n"))
	f.Add([]byte(":\n- &a [*a]\n"))
	for _, path := range library(f) {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if sc.Device.Model.Model == nil || sc.Device.ModelSettings() == nil && sc.Device.Refused() == nil || sc.Duration <= 0 {
			t.Fatalf("accepted an incomplete scenario: %+v", sc)
		}
	})
}

// manyServers returns n servers without addresses, for the default
// addresses to run out.
func manyServers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - {host: relay%d.example, listen: [{port: 25, mode: plain}]}\n", i)
	}
	return b.String()
}
