package benchweb

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"alertsim/emlstore"
	"alertsim/fakesmtp"
)

// store keeps one message with a PNG of w x h pixels as its part 2.
func storeImage(t *testing.T, w, h int) (*emlstore.Store, string) {
	t.Helper()
	st, err := emlstore.Open(t.TempDir(), "bench.example", emlstore.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var img bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&img, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(img.Bytes())
	var body strings.Builder
	body.WriteString("Subject: snapshot\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nMotion.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"snap.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(b64) > 76 {
		body.WriteString(b64[:76] + "\r\n")
		b64 = b64[76:]
	}
	body.WriteString(b64 + "\r\n--b--\r\n")
	m := &fakesmtp.Message{Received: time.Now(), From: "cam@example.com", To: []string{"owner@example.com"}}
	d, err := st.Create(m)
	if err != nil {
		t.Fatal(err)
	}
	d.Write([]byte(body.String()))
	if err := d.Commit(m); err != nil {
		t.Fatal(err)
	}
	return st, m.StoreKey
}

func getThumbnail(t *testing.T, st *emlstore.Store, key string) int {
	t.Helper()
	h := &Handler{Store: st}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/messages/"+key+"/parts/2/thumbnail", nil))
	return rec.Code
}

// TestThumbnailOfCameraImage: a camera's frame gets its thumbnail.
func TestThumbnailOfCameraImage(t *testing.T) {
	st, key := storeImage(t, 1920, 1080)
	if code := getThumbnail(t, st, key); code != http.StatusOK {
		t.Errorf("thumbnail of a 1920 x 1080 image: %d", code)
	}
}

// TestThumbnailRefusesHugeImage: an image of more pixels than any camera
// takes is not decoded for its thumbnail: a few KB of compressed PNG
// can declare gigabytes of pixels, which the page would allocate.
func TestThumbnailRefusesHugeImage(t *testing.T) {
	st, key := storeImage(t, 8000, 8000)
	if code := getThumbnail(t, st, key); code != http.StatusUnprocessableEntity {
		t.Errorf("thumbnail of an 8000 x 8000 image: %d, want %d", code, http.StatusUnprocessableEntity)
	}
}

// TestPartReadsNoTranscript: serving a part or a thumbnail does not read
// the transcript of the session kept with the message, a thousand lines
// of JSON for each of a list's thumbnails.
func TestPartReadsNoTranscript(t *testing.T) {
	st, key := storeImage(t, 64, 48)
	lines := make([]fakesmtp.Line, 1000)
	for i := range lines {
		lines[i] = fakesmtp.Line{At: time.Now(), Kind: fakesmtp.Command, Text: strings.Repeat("NOOP ", 80)}
	}
	st.AttachSession(fakesmtp.Session{ID: 1, StoreKeys: []string{key}, Transcript: lines})
	h := &Handler{Store: st}
	for _, target := range []string{"/api/v1/messages/" + key + "/parts/1", "/api/v1/messages/" + key + "/parts/2/thumbnail"} {
		code, n, body := allocated(h, "GET", target)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, code, body)
		}
		if n > 512<<10 {
			t.Errorf("GET %s allocated %d bytes", target, n)
		}
	}
}
