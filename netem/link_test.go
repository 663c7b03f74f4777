package netem

import "testing"

func TestParseBitrate(t *testing.T) {
	for s, want := range map[string]Bitrate{"750kbit/s": 750 * Kbps, "1.6 Mbit/s": 1600 * Kbps, "12Mbps": 12 * Mbps, "1Gbit/s": Gbps, "9600 bit/s": 9600} {
		if got, err := ParseBitrate(s); err != nil || got != want {
			t.Errorf("ParseBitrate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "fast", "750", "750 kB/s", "0kbit/s", "-1Mbit/s"} {
		if _, err := ParseBitrate(s); err == nil {
			t.Errorf("ParseBitrate(%q) succeeded", s)
		}
	}
}
