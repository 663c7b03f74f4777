package scenarios_test

import (
	"fmt"

	"alertsim/scenarios"
)

// Loading a scenario checks every key, and the device's settings as its web
// UI would, with the file, line and column of the problem. (Playing it
// needs testing/synctest: scenarios.Run takes the test's *testing.T, and
// make replay runs it from the command line.)
func ExampleParse() {
	src := []byte(`seed: 1
duration: 1m
device:
  model: bb-camera
  settings:
    smtp_server: 2001:db8::25
    reply_address: shopcam@example.com
    destination_addresses: [owner@example.com]
network:
  profile: dsl
`)
	_, err := scenarios.Parse("site-b.yaml", src)
	fmt.Println(err)

	sc, err := scenarios.Parse("site-b.yaml", []byte(`seed: 1
duration: 1m
device:
  model: bb-camera
  settings:
    smtp_server: "[2001:db8::25]"
    reply_address: shopcam@example.com
    destination_addresses: [owner@example.com]
network:
  profile: dsl
`))
	fmt.Println(sc.Name, sc.Device.Model, sc.Network.Profile, err)
	// Output:
	// site-b.yaml:6:18: bb-camera setting smtp_server: An IPv6 address must be enclosed in brackets.
	// site-b bb-camera dsl <nil>
}
