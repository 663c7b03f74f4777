// Package seed derives the independent random streams of a scenario from its
// one root seed, so that a component's choices never depend on how many
// numbers another component drew or in which order goroutines ran. This is
// the rule that lets one printed seed reproduce a failure exactly.
//
// Not every stream is derived here by name. Where each one comes from:
//
//   - The scenario runner (scenarios.Run) derives three seeds from the root:
//     Derive(root, "crypto") for testing/cryptotest.SetGlobalRandom (keys,
//     certificates, TLS handshakes), Derive(root, "network") for the netem
//     network and Derive(root, "device") for the device (device.Env.Seed).
//   - netem derives each access link's streams here from the network's
//     seed, per direction: Rand(seed, "<host> uplink jitter") and
//     Rand(seed, "<host> uplink loss"), the same for "downlink"; a link
//     changed with Host.SetLink draws its loss from Rand(seed, "<host>
//     uplink loss <n>"), n counting the network's link changes.
//   - explore derives everything of case i of a run from the run's seed
//     root. Its k-th draw (k = 0 unless the settings page refused the
//     worlds before) is numbered d = 1000i+k: the case's own seed is
//     Derive(root, "explore case d") mod 10^9 (the scenario's seed, in its
//     file), its model and firmware come from Rand(root, "explore model
//     d"), its world from Rand(caseSeed, "explore world") and where its
//     faults are aimed from Rand(caseSeed, "explore aim").
//   - The device's seed is used as it is, not derived by name: by
//     alert.MessageID (a SHA-256 of seed, host name and mail number), by
//     sim/imaging for frames (a PCG seeded with (seed, 0x5ce7e) draws the
//     scene, one seeded with (seed, index<<8|stream) the grain), and by the
//     DIR router (sim/dir) for its own traffic (a PCG seeded with (seed,
//     0x10c)). These predate this package; deriving them here would change
//     every golden record that holds a frame, a Message-ID or a router log.
//     Each is a generator of its own, so none depends on another's draws,
//     but they are keyed by constants rather than by name under the device
//     seed: two devices given the same seed draw the same frames and
//     traffic.
package seed

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// Derive returns the seed of the stream called name under root. The same
// (root, name) always gives the same value; different names give unrelated
// values.
func Derive(root uint64, name string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], root)
	h.Write(b[:])
	h.Write([]byte(name))
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// Rand returns a generator for the stream called name under root.
func Rand(root uint64, name string) *rand.Rand {
	s := Derive(root, name)
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}
