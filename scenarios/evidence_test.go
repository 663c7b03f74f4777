package scenarios

import (
	"bytes"
	"testing"

	"alertsim/internal/mailcheck"
)

// TestSDCardKeepsTheEvidenceOfAFailedAlert: when an alert's mail fails,
// the PTZ camera's SD card still holds its frames, and they are the very
// frames the mail would have carried. The scenario is played twice: as it
// is (the link is down, the alert fails) and without its outage (the same
// alert is delivered), and the failed run's SD card is compared with the
// delivered run's attachments.
func TestSDCardKeepsTheEvidenceOfAFailedAlert(t *testing.T) {
	const path = "ptz/ptz-retries-exhausted-next-event-fresh-cycle.yaml"
	failed := libraryResult(t, path)
	if len(failed.Mails) < 1 || failed.Delivered() == len(failed.Mails) {
		t.Fatalf("%s: want the first alert to fail; outcome %s", path, failed.Outcome())
	}
	var sd [][]byte
	var names []string
	if failed.Evidence == nil {
		t.Fatal("the camera keeps no evidence")
	}
	for _, f := range failed.Evidence.Files {
		if f.Alert == 1 {
			data, err := f.Load()
			if err != nil {
				t.Fatal(err)
			}
			sd = append(sd, data)
			names = append(names, f.Name())
		}
	}
	if len(sd) == 0 {
		t.Fatalf("the SD card holds nothing of alert 1; it holds %d files", len(failed.Evidence.Files))
	}

	sc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sc.Network.Faults = nil
	sc.Name += " without its outage"
	delivered := Run(t, sc, Options{})
	if len(delivered.Captured) == 0 {
		t.Fatalf("without the outage nothing was delivered: %s", delivered.Outcome())
	}
	parts, err := mailcheck.Check(delivered.Captured[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	var mailed [][]byte
	var mailedNames []string
	for _, p := range parts {
		if p.ContentType == "image/jpeg" {
			mailed = append(mailed, p.Body)
			mailedNames = append(mailedNames, p.Filename)
		}
	}
	if len(mailed) != len(sd) {
		t.Fatalf("the mail carries %d frames %v, the SD card holds %d %v", len(mailed), mailedNames, len(sd), names)
	}
	for i := range sd {
		if names[i] != mailedNames[i] || !bytes.Equal(sd[i], mailed[i]) {
			t.Errorf("frame %d: SD card %s (%d bytes), mail %s (%d bytes): not the same", i+1, names[i], len(sd[i]), mailedNames[i], len(mailed[i]))
		}
	}
}
