package device

import (
	"strings"
	"time"

	"alertsim/sim/alert"
)

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
	// Load returns the file's bytes. A camera's frames are a function of
	// what they show, so an SD card keeps how to make each again rather
	// than its megabytes: a day of motion is thousands of frames.
	Load func() ([]byte, error)
}

// Name is the file's base name, which is also its attachment's name.
func (f File) Name() string { return f.Path[strings.LastIndexByte(f.Path, '/')+1:] }
