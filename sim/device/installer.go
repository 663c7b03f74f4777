package device

import "time"

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
