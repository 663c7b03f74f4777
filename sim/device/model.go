package device

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"alertsim/sim/alert"
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

// Settings are a model's settings, one field per field of its web UI.
type Settings interface {
	// Validate checks the settings as the web UI does before saving: a
	// field it refuses is a *ui.FieldError with the UI's own words.
	Validate() error
	// Interface returns what the settings say of the device's own network
	// interface.
	Interface() Interface
}

// Interface is what a device's settings set of its own network interface.
// A zero field leaves the value to the network the device is plugged into
// (a scenario's device section).
type Interface struct {
	// MTU is the interface MTU; 0 when the settings have no MTU field.
	MTU int
	// DNS are the DNS servers the settings name, in order; nil when the
	// device uses those the network assigns.
	DNS []netip.Addr
}

// Device is a powered-on device.
type Device interface {
	// Trigger fires one of the model's events, lasting this long (zero is
	// an instant: only some events last, like motion in a camera's
	// window).
	Trigger(event string, lasting time.Duration)
	// Outcomes returns what became of each mail so far.
	Outcomes() []alert.Outcome
	// FailureLog returns every failed delivery attempt so far.
	FailureLog() []alert.Failure
	// Close powers the device off, abandoning a delivery in progress, and
	// waits for its goroutines.
	Close() error
	// String names the device for a run record: model, firmware and the
	// name it was given (`ptz-4g 5.2.0 "Site A"`).
	String() string
}

// EvidenceKeeper is a device that keeps evidence of its events besides
// mailing it, such as a camera's SD card.
type EvidenceKeeper interface {
	Evidence() Evidence
}

// Evidence is what a device stored of its events.
type Evidence struct {
	// Store names where it is kept ("sd card").
	Store string
	// Files are in the order they were stored.
	Files []File
}

// File is one file of a device's evidence: a frame on an SD card.
type File struct {
	// Path is where it lies in the store:
	// DCIM/20000101/motion_20000101_000005_1.jpg.
	Path string
	// Alert is the number of the event it belongs to, from 1.
	Alert int
	Taken time.Time
	Data  []byte
}

// Name is the file's base name, which is also its attachment's name.
func (f File) Name() string { return f.Path[strings.LastIndexByte(f.Path, '/')+1:] }

// Provider is a mail provider as an installer's guide describes it, and
// the network the device is on: what Model.Installer sets a device up for.
type Provider struct {
	// Preset names the kind of server ("gmail-like").
	Preset string
	// Firmware is the device's firmware version ("" for a model with one).
	Firmware string
	// Host is the server's name ("smtp.gmail.com").
	Host string
	// Username and Password are the login the guide has the installer
	// enter (an app password where the provider demands one); empty where
	// the server takes mail without a login.
	Username, Password string
	// From is the sender address the account may use.
	From string
	// Network is the access network's profile ("4g-weak").
	Network string
}

// Setup is a device set up by an installer: its settings and the event
// that makes it mail.
type Setup struct {
	// Settings are the fields the installer fills in, in the order a
	// person would write them; the others keep their factory values.
	Settings []Setting
	Trigger  Trigger
}

// Setting is one field of the web UI and its value: a string, a number, a
// boolean or a list of strings.
type Setting struct {
	Key   string
	Value any
}

// Trigger is an event at a time since power-on.
type Trigger struct {
	At    time.Duration
	Event string
	// For is how long the event lasts, for events that last.
	For time.Duration
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
