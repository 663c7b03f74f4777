package imaging

import "sync"

// The cache keeps encoded frames for the life of the process: a scenario
// suite replays the same bursts many times (twice for the determinism
// check alone), and a main-stream frame takes longer to encode than a
// whole scenario takes to run.
var cache = struct {
	sync.Mutex
	frames       map[cacheKey][]byte
	bytes        int
	hits, misses int
}{frames: make(map[cacheKey][]byte)}

// maxCacheBytes bounds the cache; past it the cache starts over.
const maxCacheBytes = 256 << 20

type cacheKey struct {
	seed   uint64
	stream Stream
	index  int
	// stamp is what the frame prints of its time: frames taken within
	// the same second of one clock are the same frame.
	stamp string
}

// Snapshot returns the encoded frame for spec, from the cache when it has
// been encoded before. The caller must not modify the returned bytes.
func Snapshot(spec Spec) ([]byte, error) {
	key := cacheKey{spec.Seed, spec.Stream, spec.Index, spec.stamp()}
	cache.Lock()
	b, ok := cache.frames[key]
	if ok {
		cache.hits++
	} else {
		cache.misses++
	}
	cache.Unlock()
	if ok {
		return b, nil
	}
	b, err := Encode(spec)
	if err != nil {
		return nil, err
	}
	cache.Lock()
	defer cache.Unlock()
	if cache.bytes+len(b) > maxCacheBytes {
		clear(cache.frames)
		cache.bytes = 0
	}
	cache.frames[key] = b
	cache.bytes += len(b)
	return b, nil
}

// CacheStats reports how many Snapshot calls were served from the cache
// and how many had to encode.
func CacheStats() (hits, misses int) {
	cache.Lock()
	defer cache.Unlock()
	return cache.hits, cache.misses
}
