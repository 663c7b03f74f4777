package scenarios

import (
	"bytes"
	"image/jpeg"
	"testing"

	"alertsim/internal/mailcheck"
)

// TestLibraryMessagesAreWellFormed reads every message of every library
// scenario with the standard library and go-message: CRLF line ends, no
// line over 998 characters, base64 in lines of 76, and JPEG attachments
// that decode.
func TestLibraryMessagesAreWellFormed(t *testing.T) {
	if raceDetector {
		t.Skip("replays the library: run without -race (make test does)")
	}
	eachScenario(t, func(t *testing.T, _ string, sc *Scenario) {
		for _, m := range Run(t, sc, Options{}).Captured {
			parts, err := mailcheck.Check(m.Raw)
			if err != nil {
				t.Errorf("message %d: %v", m.ID, err)
			}
			for _, p := range parts {
				if p.ContentType != "image/jpeg" {
					continue
				}
				if _, err := jpeg.Decode(bytes.NewReader(p.Body)); err != nil {
					t.Errorf("message %d: %s does not decode: %v", m.ID, p.Filename, err)
				}
			}
		}
	})
}
