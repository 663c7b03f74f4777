package scenarios

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, on a machine without its own

	"alertsim/golden"
)

// dstCrossing starts at half past midnight, +01:00, on the night Central
// Europe moves its clocks to +02:00 (2024-03-31, 02:00 becomes 03:00),
// and sends a daily heartbeat at 08:00 by the camera's clock. The zone
// is the offset the file gives: a fixed +01:00, the heartbeat at 07:00
// UTC and dated +0100, whatever zone the machine is in.
const dstCrossing = `name: dst-crossing
description: A daily heartbeat the morning after a change of summer time where the machine is.
seed: 7
duration: 9h
start: 2024-03-31T00:30:00+01:00

device:
  model: ptz-4g
  clock: 2024-03-31T00:30:00+01:00
  settings:
    camera_name: Yard
    smtp_server: smtp.example.com
    port: 25
    encryption: None
    sender_address: yard@example.com
    recipient_address: owner@example.com
    heartbeat: daily
    heartbeat_time: "08:00"

network:
  profile: lan

servers:
  - host: smtp.example.com
    listen: [{port: 25, mode: plain}]
`

// TestTheMachinesZoneChangesNothing: a scenario whose start and device
// clock are written with an offset plays the same wherever it runs. Go's
// time.Parse gives such a time the machine's own zone when the offset is
// that zone's at that date, summer time rules and all, so on a machine
// in Paris the camera's clock would jump an hour at 02:00 and send its
// heartbeat an hour earlier than anywhere else.
func TestTheMachinesZoneChangesNothing(t *testing.T) {
	local := time.Local
	t.Cleanup(func() { time.Local = local })
	var records []string
	for _, zone := range []string{"UTC", "Europe/Paris", "Asia/Tokyo"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		time.Local = loc
		sc, err := Parse("dst-crossing.yaml", []byte(dstCrossing))
		if err != nil {
			t.Fatal(err)
		}
		if name, off := sc.start.Zone(); name != "" || off != 3600 {
			t.Errorf("machine in %s: the start is in zone %q at %+d s, want the file's fixed +01:00", zone, name, off)
		}
		res := Run(t, sc, Options{})
		for _, want := range []string{"Date: Sun, 31 Mar 2024 08:00:", "+0100"} {
			if !strings.Contains(string(res.Record), want) {
				t.Errorf("machine in %s: the record has no %q", zone, want)
			}
		}
		records = append(records, string(res.Record))
		if len(records) > 1 && records[0] != records[len(records)-1] {
			t.Errorf("machine in %s: the record differs from the one in UTC:\n%s", zone, golden.Diff(records[0], string(res.Record)))
		}
	}
}
