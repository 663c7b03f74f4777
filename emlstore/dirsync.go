package emlstore

import "sync"

// dirSyncer shares the directory's fsyncs among the sessions that commit
// at once (group commit, as databases do their logs'): a session that has
// renamed its file waits for an fsync that began after its rename, and
// starts one only if none is running; those that come while it runs
// share the next. Every rename is still made durable by an fsync begun
// after it, and before its 250; what is saved is one journal commit per
// message when several arrive together. No lock is held during the fsync,
// and writes go on meanwhile.
type dirSyncer struct {
	sync func() error // the directory's fsync

	mu      sync.Mutex
	cond    *sync.Cond
	running bool
	started uint64 // fsyncs begun
	done    uint64 // the latest fsync ended is the done-th begun
	err     error  // its result
}

func newDirSyncer(fsync func() error) *dirSyncer {
	d := &dirSyncer{sync: fsync}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// Sync returns once an fsync begun after the call has ended, with its
// error.
func (d *dirSyncer) Sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	// One running now may have begun before the caller's rename: the
	// caller needs the next.
	want := d.started + 1
	for d.done < want {
		if d.running {
			d.cond.Wait()
			continue
		}
		d.running = true
		d.started++
		gen := d.started
		d.mu.Unlock()
		err := d.sync()
		d.mu.Lock()
		d.running = false
		d.done, d.err = gen, err
		d.cond.Broadcast()
	}
	// A later fsync than the one wanted covers the caller too: it began
	// after the call.
	return d.err
}
