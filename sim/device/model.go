package device

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Model is a device family a scenario can name: its firmware versions, its
// settings as its web UI has them, its events and how it powers on. Each
// model package registers its own from an init function, so importing the
// package is all it takes to make the model known to the scenario loader,
// the runner, the JSON Schema, the release gate's matrix and `alertsim
// list` (docs/ARCHITECTURE.md, "Adding a device model").
type Model struct {
	// Name is what a scenario's device.model says ("ptz-4g").
	Name string
	// Summary says in a line what the model is and does.
	Summary string
	// Hostname is the device's network name when the scenario gives none.
	Hostname string
	// Firmwares are the versions a scenario may name, the default first;
	// nil when the model has one.
	Firmwares []string
	// Events are what a scenario's triggers may fire.
	Events []string
	// Evidence names what the model keeps of its events besides mailing
	// them ("sd card"), empty when it keeps nothing; its running devices
	// are EvidenceKeepers.
	Evidence string
	// Settings returns the factory settings of a firmware ("" when the
	// model has one): a pointer that the scenario's settings are decoded
	// into, field by field, before they are validated.
	Settings func(firmware string) Settings
	// Start powers a device on with settings that passed Validate.
	Start func(Settings, Env) (Device, error)
	// Installer says how an installer following a provider's guide sets
	// the device up, for the release gate's matrix.
	Installer func(Provider) Setup
	// Kernel names the kernel a firmware runs, as a scenario's
	// device.kernel does ("linux-4.19"); nil, or "", for the loader's
	// default (a current Linux).
	Kernel func(firmware string) string
}

var (
	registryMu sync.Mutex
	registry   []*Model
)

// Register makes a model known. It panics on a model that lacks a name,
// settings or a start, or whose name is taken: a programming error, found
// at the first run of any test.
func Register(m Model) {
	if m.Name == "" || m.Settings == nil || m.Start == nil || m.Installer == nil {
		panic(fmt.Sprintf("device: model %q registered without a name, settings, start or installer", m.Name))
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if slices.ContainsFunc(registry, func(o *Model) bool { return o.Name == m.Name }) {
		panic(fmt.Sprintf("device: model %q registered twice", m.Name))
	}
	registry = append(registry, &m)
	slices.SortFunc(registry, func(a, b *Model) int { return strings.Compare(a.Name, b.Name) })
}

// Models returns every registered model, by name.
func Models() []*Model {
	registryMu.Lock()
	defer registryMu.Unlock()
	return slices.Clone(registry)
}

// Lookup returns the model called name.
func Lookup(name string) (*Model, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	i := slices.IndexFunc(registry, func(m *Model) bool { return m.Name == name })
	if i < 0 {
		return nil, false
	}
	return registry[i], true
}

// ModelNames returns the names of every registered model, sorted.
func ModelNames() []string {
	var names []string
	for _, m := range Models() {
		names = append(names, m.Name)
	}
	return names
}

// DefaultFirmware returns the firmware a scenario gets when it names none:
// the first, or "" for a model with one.
func (m *Model) DefaultFirmware() string {
	if len(m.Firmwares) == 0 {
		return ""
	}
	return m.Firmwares[0]
}
