package emlstore

import (
	"errors"
	"sync"
	"testing"
	"testing/synctest"
)

// TestDirSyncShared: callers that come while an fsync runs are not
// covered by it (their renames may be later than its start): they wait
// for the next, which one of them starts and all of them share, and get
// its error.
func TestDirSyncShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var releases []chan error
		fsync := func() error {
			c := make(chan error)
			mu.Lock()
			releases = append(releases, c)
			mu.Unlock()
			return <-c
		}
		begun := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(releases)
		}
		d := newDirSyncer(fsync)
		results := make(chan error, 3)
		call := func() { results <- d.Sync() }

		go call()
		synctest.Wait()
		if n := begun(); n != 1 {
			t.Fatalf("%d fsyncs begun for one caller", n)
		}
		go call()
		go call()
		synctest.Wait()
		if n := begun(); n != 1 {
			t.Fatalf("%d fsyncs begun while the first runs; the two that came wait for the next", n)
		}
		releases[0] <- nil
		if err := <-results; err != nil {
			t.Errorf("the first caller: %v", err)
		}
		synctest.Wait()
		if n, waiting := begun(), len(results); n != 2 || waiting != 0 {
			t.Fatalf("after the first fsync: %d begun, %d callers returned; want one more fsync for both", n, waiting)
		}
		failed := errors.New("EIO")
		releases[1] <- failed
		for range 2 {
			if err := <-results; !errors.Is(err, failed) {
				t.Errorf("a caller of the shared fsync: %v, want its error", err)
			}
		}
		if n := begun(); n != 2 {
			t.Errorf("%d fsyncs for three callers, want 2", n)
		}
	})
}
