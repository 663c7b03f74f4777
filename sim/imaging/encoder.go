package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
)

// This is image/jpeg's baseline 4:2:0 encoder for the frames Render draws
// (*image.YCbCr, 4:2:0, sizes a multiple of 16), giving its bytes exactly
// (TestEncoderIsImageJPEG), with two things image/jpeg does not offer:
//
//   - It encodes MCU row by MCU row into an unstuffed bit stream, noting
//     where each row starts and the DC predictors there. Two frames that
//     differ only in their top rows (the time stamp) then share the rest of
//     their entropy-coded data, bit for bit, as long as the predictors
//     entering the first shared row agree: a long run's frames are a few
//     rows encoded and the rest copied (see cache.go).
//   - It reads the planes directly and divides by multiplying, several
//     times faster than image/jpeg's per-pixel accessors and divisions.
//
// The tables (quantization at the quality, Huffman, the header) are read
// back from image/jpeg's own output, so they cannot drift from it.

// codec is the encoding of one stream: its header and tables.
type codec struct {
	width, height int
	// header is SOI through the SOS marker, as image/jpeg writes it.
	header []byte
	// divisor and recip are per table (luminance, chrominance) and
	// zig-zag index: 8*q, and ceil(2^40 / (8*q)) to divide by it.
	divisor [2][64]int32
	recip   [2][64]uint64
	// huff are the Huffman codes per table (Y DC, Y AC, C DC, C AC):
	// length<<24 | code.
	huff [4][256]uint32
}

var codecs sync.Map // Stream -> *codec

// codecFor returns the codec of a stream.
func codecFor(s Stream) (*codec, error) {
	if c, ok := codecs.Load(s); ok {
		return c.(*codec), nil
	}
	w, h := s.Size()
	_, quality := s.encoding()
	c, err := newCodec(w, h, quality)
	if err != nil {
		return nil, err
	}
	actual, _ := codecs.LoadOrStore(s, c)
	return actual.(*codec), nil
}

// newCodec reads the header and tables of image/jpeg's encoding of a
// w x h YCbCr image at a quality.
func newCodec(w, h, quality int) (*codec, error) {
	if w%16 != 0 || h%16 != 0 {
		return nil, fmt.Errorf("imaging: %dx%d is not a multiple of 16", w, h)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420), &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	c := &codec{width: w, height: h}
	var tables int
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return nil, errors.New("imaging: image/jpeg's header is not as expected")
		}
		marker := data[i+1]
		n := int(data[i+2])<<8 | int(data[i+3])
		seg := data[i+4 : i+2+n]
		switch marker {
		case 0xdb: // DQT: per table, its number and 64 bytes in zig-zag order
			for len(seg) >= 65 {
				t := seg[0] & 0x0f
				for z := range 64 {
					d := 8 * int32(seg[1+z])
					c.divisor[t][z] = d
					c.recip[t][z] = (1<<40 + uint64(d) - 1) / uint64(d)
				}
				seg = seg[65:]
				tables++
			}
		case 0xc4: // DHT: per table, class<<4 | number, 16 counts, values
			for len(seg) >= 17 {
				class, num := seg[0]>>4, seg[0]&0x0f
				idx := 2*int(num) + int(class) // Y DC, Y AC, C DC, C AC
				counts, values := seg[1:17], seg[17:]
				code, k := uint32(0), 0
				for l := range 16 {
					for range counts[l] {
						c.huff[idx][values[k]] = uint32(l+1)<<24 | code
						code++
						k++
					}
					code <<= 1
				}
				seg = seg[17+k:]
				tables++
			}
		case 0xda: // SOS: the header ends with it
			c.header = bytes.Clone(data[:i+2+n])
			if tables != 6 {
				return nil, errors.New("imaging: image/jpeg's tables are not as expected")
			}
			return c, nil
		}
		i += 2 + n
	}
	return nil, errors.New("imaging: no scan in image/jpeg's output")
}

// bitBuf is an entropy-coded bit stream before byte stuffing: whole bytes,
// and up to 7 bits waiting in acc.
type bitBuf struct {
	b   []byte
	acc uint64
	n   uint
}

// emit appends the low nBits bits of bits (nBits <= 32).
func (w *bitBuf) emit(bits uint32, nBits uint) {
	w.acc = w.acc<<nBits | uint64(bits)&(1<<nBits-1)
	w.n += nBits
	for w.n >= 8 {
		w.n -= 8
		w.b = append(w.b, byte(w.acc>>w.n))
	}
}

// bitLen is how many bits the stream holds.
func (w *bitBuf) bitLen() int { return 8*len(w.b) + int(w.n) }

// appendFrom appends bits [from, to) of another stream: the odd bits one
// by one, the whole bytes between shifted by what is pending here.
func (w *bitBuf) appendFrom(src *bitBuf, from, to int) {
	for from < to && from%8 != 0 {
		w.emit(uint32(src.bit(from)), 1)
		from++
	}
	whole := src.b[from/8 : max(to/8, from/8)]
	if w.n == 0 {
		w.b = append(w.b, whole...)
	} else {
		sh := w.n
		acc := byte(w.acc) & (1<<sh - 1)
		for _, x := range whole {
			w.b = append(w.b, acc<<(8-sh)|x>>sh)
			acc = x & (1<<sh - 1)
		}
		w.acc = uint64(acc)
	}
	for from += 8 * len(whole); from < to; from++ {
		w.emit(uint32(src.bit(from)), 1)
	}
}

// bit returns bit i of the stream.
func (w *bitBuf) bit(i int) byte {
	if i < 8*len(w.b) {
		return w.b[i/8] >> (7 - i%8) & 1
	}
	k := uint(i - 8*len(w.b)) // within acc's w.n bits
	return byte(w.acc>>(w.n-1-k)) & 1
}

// dcState is the DC predictors of Y, Cb and Cr.
type dcState [3]int32

// mcuMarks are, for each MCU in raster order, where its bits start in the
// stream and the predictors entering it.
type mcuMarks struct {
	start []int
	dc    []dcState
}

// mcus is how many MCUs (16x16 pixels) a row holds.
func (c *codec) mcus() int { return c.width / 16 }

// encodeMCUs entropy-codes img's MCUs [m0, m1), in raster order, into w,
// from the predictors st, which it updates; marks, if set, records each.
func (c *codec) encodeMCUs(img *image.YCbCr, m0, m1 int, st *dcState, w *bitBuf, marks *mcuMarks) {
	var y [4]block
	var cb, cr block
	for m := m0; m < m1; m++ {
		if marks != nil {
			marks.start = append(marks.start, w.bitLen())
			marks.dc = append(marks.dc, *st)
		}
		{
			x0, y0 := m%c.mcus()*16, m/c.mcus()*16
			for i := range 4 {
				bx, by := x0+(i&1)*8, y0+(i&2)*4
				for j := range 8 {
					row := img.Y[(by+j)*img.YStride+bx:]
					for k := range 8 {
						y[i][8*j+k] = int32(row[k])
					}
				}
				st[0] = c.block(&y[i], 0, st[0], w)
			}
			// 4:2:0 chroma: image/jpeg averages the 2x2 copies of each
			// sample it reads at full resolution, which gives the sample.
			cx, cy := x0/2, y0/2
			for j := range 8 {
				o := (cy+j)*img.CStride + cx
				for k := range 8 {
					cb[8*j+k] = int32(img.Cb[o+k])
					cr[8*j+k] = int32(img.Cr[o+k])
				}
			}
			st[1] = c.block(&cb, 1, st[1], w)
			st[2] = c.block(&cr, 1, st[2], w)
		}
	}
}

// block codes one block with table t (0 luminance, 1 chrominance) after
// the previous block's DC, and returns its DC: image/jpeg's writeBlock.
func (c *codec) block(b *block, t int, prevDC int32, w *bitBuf) int32 {
	fdct(b)
	dc := c.quantize(b[0], t, 0)
	c.emitRLE(w, 2*t, 0, dc-prevDC)
	h, run := 2*t+1, int32(0)
	for z := 1; z < 64; z++ {
		ac := c.quantize(b[unzig[z]], t, z)
		if ac == 0 {
			run++
			continue
		}
		for run > 15 {
			c.emitHuff(w, h, 0xf0)
			run -= 16
		}
		c.emitRLE(w, h, run, ac)
		run = 0
	}
	if run > 0 {
		c.emitHuff(w, h, 0x00)
	}
	return dc
}

// quantize is image/jpeg's div(a, 8*q): a/(8*q) rounded to the nearest,
// halves away from zero, by a multiplication that is exact for the DCT's
// outputs (|a| < 2^14, divisors up to 2040).
func (c *codec) quantize(a int32, t, z int) int32 {
	d := c.divisor[t][z]
	if a >= 0 {
		return int32(uint64(a+d>>1) * c.recip[t][z] >> 40)
	}
	return -int32(uint64(-a+d>>1) * c.recip[t][z] >> 40)
}

func (c *codec) emitHuff(w *bitBuf, h int, v int32) {
	x := c.huff[h][v]
	w.emit(x&(1<<24-1), uint(x>>24))
}

// emitRLE is image/jpeg's emitHuffRLE: the run and size, then the value's
// bits.
func (c *codec) emitRLE(w *bitBuf, h int, run, v int32) {
	a, b := v, v
	if a < 0 {
		a, b = -v, v-1
	}
	n := uint(0)
	for x := a; x > 0; x >>= 1 {
		n++
	}
	c.emitHuff(w, h, run<<4|int32(n))
	if n > 0 {
		w.emit(uint32(b)&(1<<n-1), n)
	}
}

// finish writes the frame: the header, the scan's bits stuffed (a 0x00
// after each 0xff) and padded with ones to a byte, and EOI.
func (c *codec) finish(w *bitBuf) []byte {
	out := make([]byte, 0, len(c.header)+len(w.b)+len(w.b)/64+8)
	out = append(out, c.header...)
	stuff := func(b byte) {
		out = append(out, b)
		if b == 0xff {
			out = append(out, 0x00)
		}
	}
	for _, b := range w.b {
		stuff(b)
	}
	if w.n > 0 {
		stuff(byte(w.acc<<(8-w.n)) | 0xff>>w.n)
	}
	return append(out, 0xff, 0xd9)
}

// unzig maps the zig-zag order to the natural order (image/jpeg's).
var unzig = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}
