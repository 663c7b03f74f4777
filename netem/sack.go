package netem

import (
	"cmp"
	"slices"
	"time"
)

// Selective acknowledgements (RFC 2018): the receiver tells the sender
// which blocks beyond the cumulative acknowledgement it holds, so that
// recovery sends again only what is missing (RFC 6675).

// sackBlock is the half-open range [from, to) of stream offsets a
// receiver holds beyond its cumulative acknowledgement.
type sackBlock struct{ from, to uint64 }

// maxSACKBlocks is how many blocks fit in the 40 bytes of TCP options
// without timestamps (Linux sends four; three beside timestamps).
const maxSACKBlocks = 4

// sackOptionBytes is what the SACK option adds to a segment's header:
// two bytes, eight per block, padded to a multiple of four with NOPs.
func sackOptionBytes(blocks int) int {
	if blocks == 0 {
		return 0
	}
	return (2 + 8*blocks + 3) / 4 * 4
}

// oooBlock is a block the receiver holds, with when it last grew, so that
// the blocks are reported most recent first (RFC 2018 section 4).
type oooBlock struct {
	sackBlock
	touched time.Time
	order   uint64 // tie-break at one instant: arrival order
}

// sackBlocks returns the receiver's blocks to report, most recently
// changed first.
func sackBlocks(blocks []oooBlock) []sackBlock {
	if len(blocks) == 0 {
		return nil
	}
	sorted := slices.Clone(blocks)
	slices.SortFunc(sorted, func(a, b oooBlock) int {
		if c := b.touched.Compare(a.touched); c != 0 {
			return c
		}
		return cmp.Compare(b.order, a.order)
	})
	n := min(len(sorted), maxSACKBlocks)
	out := make([]sackBlock, n)
	for i := range n {
		out[i] = sorted[i].sackBlock
	}
	return out
}

// addOOO records that [from, to) arrived out of order at time now,
// merging it with the blocks it touches.
func addOOO(blocks []oooBlock, b sackBlock, now time.Time, order uint64) []oooBlock {
	merged := oooBlock{sackBlock: b, touched: now, order: order}
	out := blocks[:0:0]
	for _, o := range blocks {
		if o.to < merged.from || o.from > merged.to {
			out = append(out, o)
			continue
		}
		merged.from = min(merged.from, o.from)
		merged.to = max(merged.to, o.to)
	}
	out = append(out, merged)
	slices.SortFunc(out, func(a, b oooBlock) int { return cmp.Compare(a.from, b.from) })
	return out
}

// trimOOO drops what the cumulative acknowledgement rcvNxt now covers.
func trimOOO(blocks []oooBlock, rcvNxt uint64) []oooBlock {
	out := blocks[:0]
	for _, o := range blocks {
		if o.to <= rcvNxt {
			continue
		}
		o.from = max(o.from, rcvNxt)
		out = append(out, o)
	}
	return out
}

// markSACKed marks the sender's segments that the blocks cover, and
// returns how many it newly marked and the earliest send time among those
// never sent again (a round-trip sample, as Linux takes from SACKs).
func (s *sender) markSACKed(blocks []sackBlock) (newly int, sampleFrom time.Time, latest *txSeg) {
	for _, b := range blocks {
		for _, t := range s.segs {
			if t.sacked || t.seq < b.from || t.end() > b.to {
				continue
			}
			t.sacked = true
			if t.lost {
				t.lost = false
				s.lostCount--
			}
			if t.rtxOut {
				t.rtxOut = false
				s.rtxOutCount--
			}
			s.sackedCount++
			newly++
			if !t.retrans && (sampleFrom.IsZero() || t.sentAt.Before(sampleFrom)) {
				sampleFrom = t.sentAt
			}
			if latest == nil || t.sentAt.After(latest.sentAt) {
				latest = t
			}
		}
	}
	return newly, sampleFrom, latest
}
