package ptz

import (
	"fmt"
	"strings"
	"time"

	"alertsim/sim/device"
)

func init() {
	device.Register(device.Model{
		Name:      "ptz-4g",
		Summary:   "4G PTZ camera: SSL 465 / STARTTLS 587, app passwords, bursts, retries, heartbeat, MTU and DNS settings, SD card",
		Hostname:  "ptz-camera",
		Firmwares: FirmwareVersions(),
		Events:    EventNames(),
		Evidence:  "sd card",
		Settings: func(firmware string) device.Settings {
			s := Defaults()
			s.Firmware = firmware
			return &s
		},
		Start: func(s device.Settings, env device.Env) (device.Device, error) {
			c, err := New(*s.(*Settings), env)
			if err != nil {
				return nil, err
			}
			return running{c}, nil
		},
		Installer: installer,
		Kernel:    kernel,
	})
}

// kernel is the Linux each firmware runs. Nothing in the installer guides
// says; it is a choice: 4.1.8 ships a TLS library that stops at TLS 1.0,
// the mark of an old board support package, so it gets a kernel from
// before 6.5 (doubling SYN timeouts); 5.2.0 a current one.
func kernel(firmware string) string {
	if firmware == "4.1.8" {
		return "linux-4.19"
	}
	return ""
}

// Interface says what the TCP/IP page sets: the MTU always, the DNS
// servers when they replace the carrier's.
func (s Settings) Interface() device.Interface {
	return device.Interface{MTU: s.MTU, DNS: s.DNSServers()}
}

// running is the camera as a scenario drives it.
type running struct{ *Camera }

func (r running) Trigger(event string, _ time.Duration) { r.Camera.Trigger(Event(event)) }

func (r running) String() string {
	return fmt.Sprintf("ptz-4g %s %q", r.fw.Version, r.settings.CameraName)
}

func (r running) Evidence() device.Evidence {
	return device.Evidence{Store: "sd card", Files: r.SDCard()}
}

// installer sets the camera up as the providers' guides say: SSL on 465
// where the firmware and the provider have it, else STARTTLS on 587, else
// plain 25; on 4G, the MTU that leaves room for the carrier's tunnel.
func installer(p device.Provider) device.Setup {
	port, enc := 25, EncryptionNone
	switch {
	case p.Preset == "gmail-like" && p.Firmware == Firmwares[0].Version:
		port, enc = 465, EncryptionSSL
	case p.Preset == "gmail-like" || p.Preset == "outlook-like":
		port, enc = 587, EncryptionTLS
	}
	settings := []device.Setting{{Key: "smtp_server", Value: p.Host}, {Key: "port", Value: port}, {Key: "encryption", Value: string(enc)}}
	if p.Username != "" {
		settings = append(settings, device.Setting{Key: "username", Value: p.Username}, device.Setting{Key: "password", Value: p.Password})
	}
	settings = append(settings, device.Setting{Key: "sender_address", Value: p.From}, device.Setting{Key: "recipient_address", Value: "owner@example.com"})
	if strings.HasPrefix(p.Network, "4g") {
		settings = append(settings, device.Setting{Key: "mtu", Value: 1380})
	}
	return device.Setup{Settings: settings, Trigger: device.Trigger{At: 5 * time.Second, Event: string(EventMotion)}}
}
