package device

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Variant is a firmware version of a registered model that is not
// shipped: a test binary registers it to give the model a known defect, so
// that a tool meant to find defects (explore) can be shown to find it. It
// is built on a shipped firmware: it takes that firmware's settings page
// and kernel, and starts through it. A scenario names it like any
// firmware; the release gate's matrix, the JSON Schema and `alertsim
// list` never see it, since they list Model.Firmwares only.
type Variant struct {
	// Version is what a scenario's device.firmware says; it must start
	// with "x-", so that it can never be taken for a shipped version.
	Version string
	// Base is the shipped firmware it is built on.
	Base string
	// Summary says in a line what its defect is.
	Summary string
	// Start powers the device on: it may change the environment the base
	// firmware gets (its dial function, its log) and wrap the device that
	// base, the model's own Start, returns.
	Start func(s Settings, env Env, base func(Settings, Env) (Device, error)) (Device, error)
}

var (
	variantsMu sync.Mutex
	variants   = map[string][]Variant{} // by model name
)

// RegisterVariant adds a firmware variant to the model called model. It
// panics on a model that is not registered, a version that does not start
// with "x-" or is taken, or a base the model does not ship: a programming
// error of the test that registers it.
func RegisterVariant(model string, v Variant) {
	m, ok := Lookup(model)
	switch {
	case !ok:
		panic(fmt.Sprintf("device: variant %q of an unknown model %q", v.Version, model))
	case !strings.HasPrefix(v.Version, "x-"):
		panic(fmt.Sprintf("device: variant %q of %s: a variant's version starts with x-", v.Version, model))
	case v.Start == nil:
		panic(fmt.Sprintf("device: variant %q of %s has no Start", v.Version, model))
	case slices.Contains(m.Firmwares, v.Version):
		panic(fmt.Sprintf("device: variant %q of %s is a shipped firmware", v.Version, model))
	case v.Base != m.DefaultFirmware() && !slices.Contains(m.Firmwares, v.Base):
		panic(fmt.Sprintf("device: variant %q of %s is built on %q, which %s does not ship", v.Version, model, v.Base, model))
	}
	variantsMu.Lock()
	defer variantsMu.Unlock()
	if slices.ContainsFunc(variants[model], func(o Variant) bool { return o.Version == v.Version }) {
		panic(fmt.Sprintf("device: variant %q of %s registered twice", v.Version, model))
	}
	variants[model] = append(variants[model], v)
}

// Variant returns the model's firmware variant called version, if a test
// binary registered one.
func (m *Model) Variant(version string) (Variant, bool) {
	variantsMu.Lock()
	defer variantsMu.Unlock()
	i := slices.IndexFunc(variants[m.Name], func(v Variant) bool { return v.Version == version })
	if i < 0 {
		return Variant{}, false
	}
	return variants[m.Name][i], true
}

// Variants returns the model's registered variants, in the order they were
// registered: none outside a test binary that registers some.
func (m *Model) Variants() []Variant {
	variantsMu.Lock()
	defer variantsMu.Unlock()
	return slices.Clone(variants[m.Name])
}
