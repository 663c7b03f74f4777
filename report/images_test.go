package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// TestReducedImageIsBounded: an image past the inline budget whose header
// claims more pixels than a view decodes is named missing, not decoded
// (which would take gigabytes for a few KB of PNG).
func TestReducedImageIsBounded(t *testing.T) {
	var buf bytes.Buffer
	// A paletted 9000 x 9000 PNG compresses to a few KB and decodes to 81 MB.
	if err := png.Encode(&buf, image.NewPaletted(image.Rect(0, 0, 9000, 9000), []color.Color{color.Black})); err != nil {
		t.Fatal(err)
	}
	p := newImagePool()
	p.left = 0
	u := p.use(buf.Bytes(), "bomb")
	if u.Reduced || !strings.Contains(u.Missing, "pixels") {
		t.Errorf("a %d-byte PNG of 9000 x 9000: reduced %v, missing %q; want it named missing for its pixels", buf.Len(), u.Reduced, u.Missing)
	}
}
