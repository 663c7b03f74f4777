// Package seed derives the independent random streams of a scenario from its
// one root seed.
//
// Every random choice in a run (link jitter and loss, frame noise, message
// identifiers) comes from a stream derived here by name, so that a component's
// choices never depend on how many numbers another component drew or in which
// order goroutines ran. This is the rule that lets one printed seed reproduce
// a failure exactly.
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
