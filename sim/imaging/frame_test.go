package imaging

import (
	"bytes"
	"image/jpeg"
	"testing"
	"time"
)

var taken = time.Date(2000, 1, 1, 0, 0, 5, 0, time.UTC)

// TestFrameSizesInRealRanges checks that frames weigh what the streams
// weigh on real cameras: main stream 0.8-1.5 MB, sub-stream 50-150 KB.
func TestFrameSizesInRealRanges(t *testing.T) {
	ranges := map[Stream][2]int{
		SubStream:  {50_000, 150_000},
		MainStream: {800_000, 1_500_000},
	}
	for _, stream := range []Stream{SubStream, MainStream} {
		for seed := range uint64(3) {
			spec := Spec{Seed: seed, Stream: stream, Index: int(seed), Taken: taken}
			b, err := Encode(spec)
			if err != nil {
				t.Fatal(err)
			}
			r := ranges[stream]
			if len(b) < r[0] || len(b) > r[1] {
				t.Errorf("%v stream, seed %d: %d bytes, want %d-%d", stream, seed, len(b), r[0], r[1])
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if w, h := stream.Size(); cfg.Width != w || cfg.Height != h {
				t.Errorf("%v stream: %dx%d, want %dx%d", stream, cfg.Width, cfg.Height, w, h)
			}
		}
	}
}

func TestSameSpecSameBytes(t *testing.T) {
	spec := Spec{Seed: 7, Stream: SubStream, Index: 2, Taken: taken}
	a, _ := Encode(spec)
	b, _ := Encode(spec)
	if !bytes.Equal(a, b) {
		t.Fatal("the same spec encoded twice gave different bytes")
	}
	for _, other := range []Spec{
		{Seed: 8, Stream: SubStream, Index: 2, Taken: taken},
		{Seed: 7, Stream: SubStream, Index: 3, Taken: taken},
		{Seed: 7, Stream: SubStream, Index: 2, Taken: taken.Add(time.Second)},
	} {
		c, _ := Encode(other)
		if bytes.Equal(a, c) {
			t.Errorf("%+v gave the same bytes as %+v", other, spec)
		}
	}
}

// TestSnapshotCachesEncodedFrames: the first snapshot of a spec encodes,
// the next comes from the cache. The cache lives as long as the process, so
// the test empties it first: with -count=2, or after another test took the
// same snapshot, the first call would otherwise be a hit too.
func TestSnapshotCachesEncodedFrames(t *testing.T) {
	spec := Spec{Seed: 99, Stream: SubStream, Index: 1, Taken: taken}
	emptyCache()
	hits0, misses0 := CacheStats()
	a, err := Snapshot(spec)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Snapshot(spec)
	hits, misses := CacheStats()
	if hits-hits0 != 1 || misses-misses0 != 1 {
		t.Errorf("two snapshots of one spec: %d hits, %d misses; want 1 and 1", hits-hits0, misses-misses0)
	}
	want, _ := Encode(spec)
	if !bytes.Equal(a, want) || !bytes.Equal(b, want) {
		t.Error("cached frame differs from a fresh encode")
	}
}

// emptyCache forgets every cached frame, keeping the counts.
func emptyCache() {
	cache.Lock()
	defer cache.Unlock()
	clear(cache.frames)
	cache.bytes = 0
	clear(cache.bases)
	cache.baseBytes = 0
}

func BenchmarkEncode(b *testing.B) {
	for _, stream := range []Stream{SubStream, MainStream} {
		b.Run(stream.String(), func(b *testing.B) {
			var size int
			for i := range b.N {
				buf, err := Encode(Spec{Seed: 1, Stream: stream, Index: i, Taken: taken})
				if err != nil {
					b.Fatal(err)
				}
				size = len(buf)
			}
			b.ReportMetric(float64(size), "bytes/frame")
		})
	}
}
