package imaging

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"
	"time"
)

// referenceRender is Render as it was before frames became periodic and
// rows could be drawn alone, kept verbatim but for the period of the grain:
// the frames of the first Period indexes must stay what they were.
func referenceRender(spec Spec) *image.YCbCr {
	w, h := spec.Stream.Size()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	scene := rand.New(rand.NewPCG(spec.Seed, 0x5ce7e))
	noise := rand.New(rand.NewPCG(spec.Seed, uint64(spec.Index%Period)<<8|uint64(spec.Stream)))

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
	drawText(img, spec.Taken.Format("2006-01-02 15:04:05"), w/80, h/60, max(h/240, 1))
	return img
}

// referenceEncode is image/jpeg's encoding of the reference frame.
func referenceEncode(t testing.TB, spec Spec) []byte {
	var buf bytes.Buffer
	_, quality := spec.Stream.encoding()
	if err := jpeg.Encode(&buf, referenceRender(spec), &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncoderIsImageJPEG: the frames Encode gives are, byte for byte, what
// image/jpeg gives for the reference rendering: the records of every
// scenario with snapshots rest on it.
func TestEncoderIsImageJPEG(t *testing.T) {
	specs := []Spec{}
	for seed := range uint64(3) {
		for _, index := range []int{0, 1, 7, 74} {
			specs = append(specs, Spec{Seed: seed, Stream: SubStream, Index: index, Taken: taken.Add(time.Duration(index) * time.Second)})
		}
	}
	specs = append(specs, Spec{Seed: 5, Stream: MainStream, Index: 3, Taken: taken})
	for _, spec := range specs {
		if !bytes.Equal(Render(spec).Y, referenceRender(spec).Y) {
			t.Errorf("%+v: Render draws another frame than the reference", spec)
			continue
		}
		got, err := Encode(spec)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceEncode(t, spec); !bytes.Equal(got, want) {
			t.Errorf("%+v: %d bytes, image/jpeg gives %d; first difference at byte %d", spec, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestFramesOfAPlaceShareTheirBase: a frame a Period (or several) after
// another differs from it only in its time stamp, and the shared encoding
// (stamp rows afresh, the rest copied) gives Encode's bytes, which are
// image/jpeg's.
func TestFramesOfAPlaceShareTheirBase(t *testing.T) {
	emptyCache()
	for _, stream := range []Stream{SubStream, MainStream} {
		for k, index := range []int{4, 4 + Period, 4 + 7*Period, 4 + 100*Period} {
			spec := Spec{Seed: 11, Stream: stream, Index: index, Taken: taken.Add(time.Duration(k) * 37 * time.Second)}
			got, err := Snapshot(spec)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceEncode(t, spec)
			if !bytes.Equal(got, want) {
				t.Errorf("%v frame %d: the shared encoding differs from image/jpeg's at byte %d", stream, index, firstDiff(got, want))
			}
		}
	}
	cache.Lock()
	n := len(cache.bases)
	cache.Unlock()
	if n != 2 {
		t.Errorf("%d bases for two places, want 2", n)
	}
}

// BenchmarkSnapshotOfALongRun: a frame whose place in the period has been
// seen, as most of a long run's are.
func BenchmarkSnapshotOfALongRun(b *testing.B) {
	emptyCache()
	Snapshot(Spec{Seed: 1, Stream: SubStream, Index: 0, Taken: taken})
	i := 0
	for b.Loop() {
		i++
		if _, err := Snapshot(Spec{Seed: 1, Stream: SubStream, Index: i * Period, Taken: taken.Add(time.Duration(i) * time.Second)}); err != nil {
			b.Fatal(err)
		}
	}
}

func inAny(boxes []box, x, y int) bool {
	for _, b := range boxes {
		if x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1 {
			return true
		}
	}
	return false
}

// BenchmarkExploredFrames: the frames of many short runs, as make explore
// plays them: each run its own seed (a scene of its own, every frame
// encoded whole), or one of a few scenes (device.scene: a frame is its
// place's base with the stamp encoded again). One in ten frames is from
// the main stream; indexes and stamps are those of a camera's first few
// alerts. The cost per frame is the figure.
func BenchmarkExploredFrames(b *testing.B) {
	for _, tc := range []struct {
		name   string
		scenes int // 0: a seed per run
	}{{"seed-per-run", 0}, {"2-scenes", 2}, {"1-scene", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			emptyCache()
			r := rand.New(rand.NewPCG(1, 2))
			run := uint64(0)
			for b.Loop() {
				run++
				seed := 1000 + run
				if tc.scenes > 0 {
					seed = 1 + r.Uint64N(uint64(tc.scenes))
				}
				stream := SubStream
				if r.IntN(10) == 0 {
					stream = MainStream
				}
				spec := Spec{Seed: seed, Stream: stream, Index: 8*(1+r.IntN(12)) + r.IntN(4), Taken: taken.Add(time.Duration(r.IntN(600)) * time.Second)}
				if _, err := Snapshot(spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeBesideImageJPEG: one fresh main-stream frame (4 MP), as
// Encode draws and encodes it and as image/jpeg encodes the reference
// rendering, the same bytes; the ratio of the two is the figure.
func BenchmarkEncodeBesideImageJPEG(b *testing.B) {
	spec := Spec{Seed: 1, Stream: MainStream, Index: 3, Taken: taken}
	b.Run("alertsim", func(b *testing.B) {
		for b.Loop() {
			if _, err := Encode(spec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("image-jpeg", func(b *testing.B) {
		for b.Loop() {
			referenceEncode(b, spec)
		}
	})
}
