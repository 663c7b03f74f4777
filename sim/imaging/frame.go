// Package imaging makes deterministic synthetic camera frames: a scene with
// a moving subject, sensor noise and a timestamp overlay, encoded as JPEG at
// the sizes real cameras produce, so that mail sizes and upload times in a
// scenario are realistic without shipping photographs.
package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"time"
)

// Stream is the camera stream a snapshot is taken from.
type Stream uint8

const (
	// SubStream is the low-resolution stream (720p), about 50-150 KB a
	// JPEG frame.
	SubStream Stream = iota
	// MainStream is the full-resolution stream (4 MP, 2560x1440), about
	// 0.8-1.5 MB a JPEG frame.
	MainStream
)

func (s Stream) String() string {
	if s == MainStream {
		return "main"
	}
	return "sub"
}

// Size returns the stream's resolution.
func (s Stream) Size() (width, height int) {
	if s == MainStream {
		return 2560, 1440
	}
	return 1280, 720
}

// Spec identifies one frame: the same Spec always gives the same bytes.
type Spec struct {
	// Seed picks the scene (sky, buildings) and the noise.
	Seed   uint64
	Stream Stream
	// Index is the frame's place in a burst; the subject moves across the
	// scene as it grows.
	Index int
	// Taken is the time printed on the frame, to the second, in its own
	// zone: the camera's clock.
	Taken time.Time
}

// encoding returns the sensor grain (in Y levels either side) and the JPEG
// quality of a stream, tuned so that frames land in the middle of the real
// ranges (see Stream): the sub-stream is scaled down, so its grain is finer.
func (s Stream) encoding() (noise, quality int) {
	if s == MainStream {
		return 16, 85
	}
	return 8, 78
}

// Render draws the frame.
func Render(spec Spec) *image.YCbCr {
	w, h := spec.Stream.Size()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	scene := rand.New(rand.NewPCG(spec.Seed, 0x5ce7e))
	noise := rand.New(rand.NewPCG(spec.Seed, uint64(spec.Index)<<8|uint64(spec.Stream)))

	grain, _ := spec.Stream.encoding()
	horizon := h * (45 + scene.IntN(15)) / 100
	var buildings []box
	for range 3 + scene.IntN(4) {
		bw := w * (5 + scene.IntN(15)) / 100
		bh := h * (10 + scene.IntN(25)) / 100
		x := scene.IntN(w - bw)
		buildings = append(buildings, box{x, horizon - bh, x + bw, horizon, 60 + scene.IntN(80)})
	}
	// The subject walks from left to right, a tenth of the frame a step.
	sw, sh := w/16, h/4
	sx := (w/10 + spec.Index*w/10 + scene.IntN(w/10)) % (w - sw)
	sy := horizon + h/20

	for y := range h {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		var base int
		if y < horizon {
			base = 170 + 60*y/horizon // sky, brighter towards the horizon
		} else {
			base = 90 + 30*(y-horizon)/(h-horizon) // ground
		}
		for x := range row {
			v := base
			for _, b := range buildings {
				if x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1 {
					v = b.y
					if (x/12+y/16)%3 == 0 {
						v += 40 // windows
					}
				}
			}
			if dx, dy := x-sx-sw/2, y-sy-sh/2; dx*dx*sh*sh+dy*dy*sw*sw < sw*sw*sh*sh/4 {
				v = 35 // the subject
			}
			v += noise.IntN(2*grain+1) - grain
			row[x] = clamp(v)
		}
	}
	for y := range h / 2 {
		for x := range w / 2 {
			i := y*img.CStride + x
			switch {
			case 2*y >= horizon:
				img.Cb[i], img.Cr[i] = 118, 130 // earth
			case inAny(buildings, 2*x, 2*y):
				img.Cb[i], img.Cr[i] = 128, 128 // grey concrete
			default:
				img.Cb[i], img.Cr[i] = 150, 118 // blue sky
			}
		}
	}
	drawText(img, spec.stamp(), w/80, h/60, max(h/240, 1))
	return img
}

// stamp is the time printed on the frame.
func (spec Spec) stamp() string { return spec.Taken.Format("2006-01-02 15:04:05") }

// Encode renders and encodes the frame as JPEG.
func Encode(spec Spec) ([]byte, error) {
	var buf bytes.Buffer
	_, quality := spec.Stream.encoding()
	if err := jpeg.Encode(&buf, Render(spec), &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("imaging: encoding %v frame %d: %w", spec.Stream, spec.Index, err)
	}
	return buf.Bytes(), nil
}

// box is a building: its corners and its brightness.
type box struct{ x0, y0, x1, y1, y int }

func inAny(boxes []box, x, y int) bool {
	for _, b := range boxes {
		if x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1 {
			return true
		}
	}
	return false
}

func clamp(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}
