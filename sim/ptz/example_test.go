package ptz_test

import (
	"fmt"

	"alertsim/sim/ptz"
)

// Settings are checked as the camera's web UI checks them, with its words.
// The older firmware has no SSL, as installer guides warn.
func ExampleSettings_Validate() {
	s := ptz.Defaults()
	s.SMTPServer = "smtp.gmail.com"
	s.Username, s.Password = "site.a@gmail.com", "abcdefghijklmnop"
	s.SenderAddress, s.RecipientAddress = "site.a@gmail.com", "owner at example.com"
	fmt.Println(s.Validate())

	s.RecipientAddress = "owner@example.com"
	fmt.Println(s.Validate())

	s.Firmware = "4.1.8"
	fmt.Println(s.Validate())
	// Output:
	// You MUST enter a valid e-mail address format
	// <nil>
	// This firmware supports TLS only. Select TLS and port 587.
}
