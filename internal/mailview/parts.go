package mailview

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"strconv"
	"strings"

	"github.com/emersion/go-message"

	"alertsim/fakesmtp"
)

// FindPart walks a message to the part at path ("" the message, "1.2"
// the second child of the first) and returns it, its body decoded (the
// transfer encoding undone). It reads r as far as the part, and goes no
// deeper than the capture lists parts (fakesmtp.MaxMIMEDepth) and opens
// no more of them (fakesmtp.MaxMIMEParts): each level is read through the
// levels above, so a path thousands deep into a message nested as deep
// would cost time quadratic in its size.
func FindPart(r io.Reader, path string) (*message.Entity, error) {
	e, err := message.Read(r)
	if e == nil {
		return nil, err
	}
	if path == "" || path == "0" {
		return e, nil
	}
	steps := strings.Split(path, ".")
	if len(steps) > fakesmtp.MaxMIMEDepth {
		return nil, ErrNoPart
	}
	opened := 0
	for _, step := range steps {
		n, err := strconv.Atoi(step)
		mr := e.MultipartReader()
		if err != nil || n < 1 || mr == nil {
			return nil, ErrNoPart
		}
		for i := 1; ; i++ {
			if opened++; opened >= fakesmtp.MaxMIMEParts {
				return nil, ErrNoPart
			}
			child, err := mr.NextPart()
			if err != nil {
				return nil, ErrNoPart
			}
			if i == n {
				e = child
				break
			}
		}
	}
	return e, nil
}

// ErrNoPart is FindPart's error for a path the message does not have.
var ErrNoPart = errors.New("no such part")

// MaxImagePixels is the most pixels DecodeImage decodes: far more than a
// camera's frame (8 MP at 4K), far less than what a few kilobytes of
// compressed PNG or GIF may declare and a decoder would allocate.
const MaxImagePixels = 40 << 20

// DecodeImage decodes an image of at most MaxImagePixels, refusing a
// larger one from its header, before anything is allocated for it; the
// decoders are those the program registers (image/png, image/jpeg,
// image/gif).
func DecodeImage(r io.Reader) (image.Image, error) {
	// What DecodeConfig reads is kept, and read again by Decode.
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, err
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, fmt.Errorf("%d x %d pixels, more than the %d this view decodes", cfg.Width, cfg.Height, MaxImagePixels)
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	return img, err
}

// Shrink scales img to fit w x h (never up), averaging each box of source
// pixels (sampled at most 4 x 4 a box, so that a 4 MP frame stays quick).
// The bench page's thumbnails and a report's reduced snapshots are made
// with it.
func Shrink(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw == 0 || sh == 0 {
		return img
	}
	scale := min(float64(w)/float64(sw), float64(h)/float64(sh), 1)
	dw, dh := max(1, int(float64(sw)*scale)), max(1, int(float64(sh)*scale))
	// A camera's JPEG decodes to YCbCr: read it without boxing each
	// pixel in an interface (twice as quick on a 4 MP frame, the
	// same values).
	at := func(x, y int) (r, g, b uint32) {
		r, g, b, _ = img.At(x, y).RGBA()
		return
	}
	if yc, ok := img.(*image.YCbCr); ok {
		at = func(x, y int) (r, g, b uint32) {
			r, g, b, _ = yc.YCbCrAt(x, y).RGBA()
			return
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		y0, y1 := b.Min.Y+y*sh/dh, b.Min.Y+max((y+1)*sh/dh, y*sh/dh+1)
		for x := range dw {
			x0, x1 := b.Min.X+x*sw/dw, b.Min.X+max((x+1)*sw/dw, x*sw/dw+1)
			var r, g, bl, n uint32
			for sy := y0; sy < y1; sy += max(1, (y1-y0)/4) {
				for sx := x0; sx < x1; sx += max(1, (x1-x0)/4) {
					cr, cg, cb := at(sx, sy)
					r, g, bl, n = r+cr, g+cg, bl+cb, n+1
				}
			}
			i := out.PixOffset(x, y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(r/n>>8), uint8(g/n>>8), uint8(bl/n>>8), 255
		}
	}
	return out
}
