package netem

import (
	"slices"
	"testing"
	"time"
)

// TestSACKBlocks: the receiver merges what arrives out of order into
// blocks, reports at most four, the most recently changed first, and
// forgets what the cumulative acknowledgement covers.
func TestSACKBlocks(t *testing.T) {
	at := time.Unix(0, 0)
	var held []oooBlock
	add := func(from, to uint64, sec int) {
		held = addOOO(held, sackBlock{from, to}, at.Add(time.Duration(sec)*time.Second), uint64(sec))
	}
	add(10, 20, 1)
	add(30, 40, 2)
	add(20, 30, 3) // joins the two
	if got := sackBlocks(held); !slices.Equal(got, []sackBlock{{10, 40}}) {
		t.Errorf("merged blocks %v, want [10,40)", got)
	}
	for i := range 5 {
		add(uint64(100+20*i), uint64(110+20*i), 10+i)
	}
	got := sackBlocks(held)
	want := []sackBlock{{180, 190}, {160, 170}, {140, 150}, {120, 130}}
	if !slices.Equal(got, want) {
		t.Errorf("blocks %v, want the four most recent first %v", got, want)
	}
	held = trimOOO(held, 150)
	if got := sackBlocks(held); len(got) != 2 || got[1] != (sackBlock{160, 170}) {
		t.Errorf("after the cumulative ack reached 150: %v", got)
	}
	if sackOptionBytes(4) != 36 || sackOptionBytes(1) != 12 || sackOptionBytes(0) != 0 {
		t.Error("SACK option sizes: want 12 bytes for one block, 36 for four")
	}
}

// TestScoreboard: the sender marks exactly the segments the blocks cover,
// counts them, and takes the pipe as outstanding less SACKed and lost.
func TestScoreboard(t *testing.T) {
	s := sender{}
	for i := range 10 {
		s.segs = append(s.segs, &txSeg{seq: uint64(i) * 100, payload: make([]byte, 100), sentAt: time.Unix(int64(i), 0)})
	}
	newly, from, latest := s.markSACKed([]sackBlock{{200, 500}, {750, 900}})
	if newly != 3+1 || s.sackedCount != 4 {
		t.Errorf("marked %d (count %d), want segments 2-4 and 8: 4", newly, s.sackedCount)
	}
	if !from.Equal(time.Unix(2, 0)) || latest.seq != 800 {
		t.Errorf("sample from %v and latest %d, want segment 2's send and segment 8", from, latest.seq)
	}
	s.markLost(s.segs[0], ReasonDupAcks)
	s.markLost(s.segs[3], ReasonDupAcks) // SACKed: not lost
	if s.lostCount != 1 || s.pipe() != 10-4-1 {
		t.Errorf("lost %d, pipe %d; want 1 and 5", s.lostCount, s.pipe())
	}
	if again, _, _ := s.markSACKed([]sackBlock{{200, 500}}); again != 0 {
		t.Errorf("the same block marked %d again", again)
	}
}
