package device_test

import (
	"strings"
	"testing"

	"alertsim/sim/device"
)

// toy is a model of this test's own, registered once.
var toy = func() *device.Model {
	device.Register(device.Model{
		Name: "toy-variant-test", Firmwares: []string{"1.0", "0.9"},
		Settings:  func(string) device.Settings { return nil },
		Start:     func(device.Settings, device.Env) (device.Device, error) { return nil, nil },
		Installer: func(device.Provider) device.Setup { return device.Setup{} },
	})
	m, _ := device.Lookup("toy-variant-test")
	// Its variants too, once a process (the registry is global, and
	// go test -count=2 runs each test twice).
	start := func(s device.Settings, env device.Env, base func(device.Settings, device.Env) (device.Device, error)) (device.Device, error) {
		return base(s, env)
	}
	device.RegisterVariant(m.Name, device.Variant{Version: "x-test", Base: "0.9", Start: start})
	device.RegisterVariant(m.Name, device.Variant{Version: "x-twice", Base: "1.0", Start: start})
	return m
}()

// TestVariantsAreKeptApart: a variant is found by its version, listed by
// Variants, and never among the model's shipped Firmwares.
func TestVariantsAreKeptApart(t *testing.T) {
	if v, ok := toy.Variant("x-test"); !ok || v.Base != "0.9" {
		t.Errorf("Variant(x-test) = %+v, %v", v, ok)
	}
	if vs := toy.Variants(); len(vs) != 2 || vs[0].Version != "x-test" || vs[1].Version != "x-twice" {
		t.Errorf("Variants() = %+v", vs)
	}
	for _, fw := range toy.Firmwares {
		if strings.HasPrefix(fw, "x-") {
			t.Errorf("the variant is among the shipped firmwares %v", toy.Firmwares)
		}
	}
}

// TestRegisterVariantRefusesWhatIsNoVariant: a version that could pass
// for a shipped one, a base the model does not ship, an unknown model, a
// variant without a start, and one registered twice are programming
// errors that panic at once.
func TestRegisterVariantRefusesWhatIsNoVariant(t *testing.T) {
	start := func(s device.Settings, env device.Env, base func(device.Settings, device.Env) (device.Device, error)) (device.Device, error) {
		return base(s, env)
	}
	for _, tc := range []struct {
		name, model string
		v           device.Variant
	}{
		{"a shipped-looking version", toy.Name, device.Variant{Version: "1.1", Base: "1.0", Start: start}},
		{"a base not shipped", toy.Name, device.Variant{Version: "x-a", Base: "2.0", Start: start}},
		{"an unknown model", "toaster", device.Variant{Version: "x-b", Base: "1.0", Start: start}},
		{"no start", toy.Name, device.Variant{Version: "x-c", Base: "1.0"}},
		{"twice", toy.Name, device.Variant{Version: "x-twice", Base: "1.0", Start: start}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterVariant(%s, %+v) did not panic", tc.model, tc.v)
				}
			}()
			device.RegisterVariant(tc.model, tc.v)
		})
	}
}
