package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"image"
	_ "image/gif" // snapshots in any format the bench page shows
	"image/jpeg"
	_ "image/png"

	"alertsim/internal/mailview"
)

// The snapshots go into the page as data: URIs, each distinct image once
// (the SD card holds the frames the mail carries; later uses point at the
// first, and the page's script copies its source), as they are: no
// re-encoding, so the page shows the bytes the device sent. Base64 makes
// them a third bigger, and a burst of 4 MP frames is megabytes, so past a
// budget of originals an image is shown reduced (Shrink, the bench page's
// thumbnail filter, to 960 x 540, JPEG at quality 80: about 60 KB for a
// 4 MP frame, 80 ms to make), saying so, with the original's size,
// dimensions and sha256 beside it.

// inlineBudget is how many bytes of original images a report carries
// (4.3 MB in base64): the 4 MB burst over 4G whole (three frames, 3.1 MB),
// and the largest library scenario's report under 5 MB (five such frames:
// three whole, two reduced).
const inlineBudget = 3_200_000

// reducedW and reducedH bound a reduced image, and reducedQuality is its
// JPEG quality.
const (
	reducedW, reducedH = 960, 540
	reducedQuality     = 80
)

// imagePool collects a page's images in the order the page shows them.
type imagePool struct {
	left   int
	byHash map[string]*pooled
	n      int
}

// pooled is an image of the page.
type pooled struct {
	ID            string // the first <img>'s id: "img-3"
	SHA256        string // of the original
	URI           template.URL
	Width, Height int // of what the page shows
	// Reduced says the page shows a smaller copy; Size, OrigW and OrigH
	// are the original's.
	Reduced      bool
	Size         int
	OrigW, OrigH int
	// Missing says why the image is not shown.
	Missing string
	used    bool
}

// imageUse is one place the page shows an image: the first carries the
// data, the others name it.
type imageUse struct {
	*pooled
	First bool
	Alt   string
}

func newImagePool() *imagePool {
	return &imagePool{left: inlineBudget, byHash: map[string]*pooled{}}
}

// use returns the image with these bytes for one more place of the page.
func (p *imagePool) use(data []byte, alt string) imageUse {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	img := p.byHash[h]
	if img == nil {
		p.n++
		img = &pooled{ID: fmt.Sprintf("img-%d", p.n), SHA256: h, Size: len(data)}
		p.byHash[h] = img
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		switch {
		case err != nil:
			img.Missing = "not an image this page can show: " + err.Error()
		case len(data) <= p.left:
			p.left -= len(data)
			img.Width, img.Height, img.OrigW, img.OrigH = cfg.Width, cfg.Height, cfg.Width, cfg.Height
			img.URI = dataURI("image/"+format, data)
		default:
			img.OrigW, img.OrigH = cfg.Width, cfg.Height
			img.reduce(data)
		}
	}
	first := !img.used
	img.used = true
	return imageUse{pooled: img, First: first, Alt: alt}
}

// reduce makes the smaller copy of an image past the budget.
func (img *pooled) reduce(data []byte) {
	// Bounded by the pixels its header declares, as the bench page's
	// thumbnails are: a few KB of PNG may claim gigabytes of them.
	src, err := mailview.DecodeImage(bytes.NewReader(data))
	if err != nil {
		img.Missing = "not an image this page can show: " + err.Error()
		return
	}
	small := mailview.Shrink(src, reducedW, reducedH)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: reducedQuality}); err != nil {
		img.Missing = "could not be reduced: " + err.Error()
		return
	}
	img.Reduced = true
	img.Width, img.Height = small.Bounds().Dx(), small.Bounds().Dy()
	img.URI = dataURI("image/jpeg", buf.Bytes())
}

// dataURI is the image as a data: URI. contentType is the format Go's
// image package decoded it as (JPEG, PNG, GIF; never SVG, which could
// carry a script), so the URI is safe in an <img> src.
func dataURI(contentType string, data []byte) template.URL {
	return template.URL("data:" + contentType + ";base64," + base64.StdEncoding.EncodeToString(data))
}
