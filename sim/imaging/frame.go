// Package imaging makes deterministic synthetic camera frames: a scene with
// a moving subject, sensor noise and a timestamp overlay, encoded as JPEG at
// the sizes real cameras produce, so that mail sizes and upload times in a
// scenario are realistic without shipping photographs.
package imaging

import (
	"fmt"
	"image"
	"math/bits"
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
	// Index is the frame's place in the camera's sequence; the subject
	// moves across the scene as it grows, and frames Period apart differ
	// only in their time stamps.
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

// Period is how often the frames of a stream repeat, but for their time
// stamps: the subject walks a tenth of the frame a step and is back where
// it started after 75 steps, and the sensor grain is drawn anew for each of
// them. A long run's frames are so a few rows encoded and the rest shared
// (see cache.go); a scenario's first 75 frames are each its own.
const Period = 75

// scene is what a frame shows besides its grain, its subject's place and
// its stamp: the same for every frame of a seed and stream.
type scene struct {
	w, h, horizon int
	buildings     []box
	// The subject is a dark ellipse sw x sh, at sy and at an x that moves
	// with the frame's index from sx0.
	sw, sh, sx0, sy int
}

func newScene(spec Spec) scene {
	w, h := spec.Stream.Size()
	r := rand.New(rand.NewPCG(spec.Seed, 0x5ce7e))
	sc := scene{w: w, h: h}
	sc.horizon = h * (45 + r.IntN(15)) / 100
	for range 3 + r.IntN(4) {
		bw := w * (5 + r.IntN(15)) / 100
		bh := h * (10 + r.IntN(25)) / 100
		x := r.IntN(w - bw)
		sc.buildings = append(sc.buildings, box{x, sc.horizon - bh, x + bw, sc.horizon, 60 + r.IntN(80)})
	}
	sc.sw, sc.sh = w/16, h/4
	sc.sx0 = r.IntN(w / 10)
	sc.sy = sc.horizon + h/20
	return sc
}

// Render draws the frame.
func Render(spec Spec) *image.YCbCr {
	w, h := spec.Stream.Size()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	renderRows(img, spec, h)
	return img
}

// renderRows draws the frame's pixel rows [0, rows) into img: a sky
// brighter towards the horizon, buildings with windows, the ground, the
// subject, grain, and the time stamp. The grain is drawn pixel by pixel in
// order from the frame's own stream, so a frame's top rows are the same
// whether the rest is drawn or not.
func renderRows(img *image.YCbCr, spec Spec, rows int) {
	sc := newScene(spec)
	w, h := sc.w, sc.h
	noise := rand.NewPCG(spec.Seed, uint64(spec.Index%Period)<<8|uint64(spec.Stream))
	grain, _ := spec.Stream.encoding()
	levels := uint64(2*grain + 1)
	// The subject walks from left to right, a tenth of the frame a step.
	sw, sh := sc.sw, sc.sh
	sx := (w/10 + spec.Index*w/10 + sc.sx0) % (w - sw)
	line := make([]int, w)
	for y := range min(rows, h) {
		base := 90 + 30*(y-sc.horizon)/(h-sc.horizon) // ground
		if y < sc.horizon {
			base = 170 + 60*y/sc.horizon // sky, brighter towards the horizon
		}
		for x := range line {
			line[x] = base
		}
		for _, b := range sc.buildings { // a later building hides an earlier one
			if y < b.y0 || y >= b.y1 {
				continue
			}
			for x := b.x0; x < b.x1; x++ {
				line[x] = b.y
				if (x/12+y/16)%3 == 0 {
					line[x] += 40 // windows
				}
			}
		}
		if dy := y - sc.sy - sh/2; dy*dy*sw*sw < sw*sw*sh*sh/4 {
			for x := sx; x <= sx+sw && x < w; x++ {
				if dx := x - sx - sw/2; dx*dx*sh*sh+dy*dy*sw*sw < sw*sw*sh*sh/4 {
					line[x] = 35 // the subject
				}
			}
		}
		row := img.Y[y*img.YStride : y*img.YStride+w]
		for x, v := range line {
			row[x] = clamp(v + int(uintN(noise, levels)) - grain)
		}
	}
	for y := range min((rows+1)/2, h/2) {
		cb := img.Cb[y*img.CStride : y*img.CStride+w/2]
		cr := img.Cr[y*img.CStride : y*img.CStride+w/2]
		if 2*y >= sc.horizon {
			fill(cb, cr, 0, w/2, 118, 130) // earth
			continue
		}
		fill(cb, cr, 0, w/2, 150, 118) // blue sky
		for _, b := range sc.buildings {
			if 2*y >= b.y0 && 2*y < b.y1 {
				// The samples whose full-resolution x (2x) falls in it.
				fill(cb, cr, (b.x0+1)/2, (b.x1+1)/2, 128, 128) // grey concrete
			}
		}
	}
	drawText(img, spec.stamp(), w/80, h/60, max(h/240, 1))
}

// stampMCUs is the part of a frame its time stamp touches, in MCUs (16x16
// pixels): the rows from the top, and the MCUs from the left of each: all
// a frame does not share with the frames a Period apart.
func stampMCUs(s Stream) (rows, cols int) {
	w, h := s.Size()
	scale := max(h/240, 1)
	const advance, length = 6, len("2006-01-02 15:04:05")
	return (h/60 + 9*scale + 15) / 16, (w/80 + length*advance*scale + scale + 15) / 16
}

// uintN is math/rand/v2's Rand.IntN on a PCG without the interface call:
// the same numbers from the same stream (Lemire's method, rejecting the
// few products that would bias it).
func uintN(p *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(p.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(p.Uint64(), n)
		}
	}
	return hi
}

// stamp is the time printed on the frame.
func (spec Spec) stamp() string { return spec.Taken.Format("2006-01-02 15:04:05") }

// Encode renders and encodes the frame as JPEG: the bytes image/jpeg gives
// the rendered frame at the stream's quality.
func Encode(spec Spec) ([]byte, error) {
	c, err := codecFor(spec.Stream)
	if err != nil {
		return nil, fmt.Errorf("imaging: encoding %v frame %d: %w", spec.Stream, spec.Index, err)
	}
	var w bitBuf
	var st dcState
	c.encodeMCUs(Render(spec), 0, c.mcus()*c.height/16, &st, &w, nil)
	return c.finish(&w), nil
}

// box is a building: its corners and its brightness.
type box struct{ x0, y0, x1, y1, y int }

// fill sets the chroma samples [from, to) of a row.
func fill(cb, cr []uint8, from, to int, u, v uint8) {
	for x := from; x < to; x++ {
		cb[x], cr[x] = u, v
	}
}

func clamp(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}
