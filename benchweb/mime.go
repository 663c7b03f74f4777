package benchweb

import (
	"bytes"
	"container/list"
	"errors"
	"image"
	_ "image/gif" // thumbnails of GIF attachments
	"image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // text parts in any charset

	"alertsim/fakesmtp"
)

// findPart walks a message to the part at path ("" the message, "1.2"
// the second child of the first) and returns its header and decoded body.
// It goes no deeper than the capture lists parts (fakesmtp.MaxMIMEDepth)
// and opens no more of them (fakesmtp.MaxMIMEParts): each level is read
// through the levels above, so a path thousands deep into a message
// nested as deep would cost time quadratic in its size.
func findPart(r io.Reader, path string) (*message.Entity, error) {
	e, err := message.Read(r)
	if e == nil {
		return nil, err
	}
	if path == "" || path == "0" {
		return e, nil
	}
	steps := strings.Split(path, ".")
	if len(steps) > fakesmtp.MaxMIMEDepth {
		return nil, errNoPart
	}
	opened := 0
	for _, step := range steps {
		n, err := strconv.Atoi(step)
		mr := e.MultipartReader()
		if err != nil || n < 1 || mr == nil {
			return nil, errNoPart
		}
		for i := 1; ; i++ {
			if opened++; opened >= fakesmtp.MaxMIMEParts {
				return nil, errNoPart
			}
			child, err := mr.NextPart()
			if err != nil {
				return nil, errNoPart
			}
			if i == n {
				e = child
				break
			}
		}
	}
	return e, nil
}

var errNoPart = errors.New("no such part")

// part serves a part's decoded body. Text and images are shown in place;
// anything else, HTML included, is a download, and nothing served here
// may run a script (CSP sandbox).
func (h *Handler) part(w http.ResponseWriter, r *http.Request) {
	e, closeMsg, err := h.openPart(r)
	if err != nil {
		fail(w, http.StatusNotFound, "%v", err)
		return
	}
	defer closeMsg()
	ct, params, _ := e.Header.ContentType()
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch {
	case strings.HasPrefix(ct, "image/") && ct != "image/svg+xml", ct == "text/plain":
		w.Header().Set("Content-Type", ct)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		name := params["name"]
		if _, dp, err := e.Header.ContentDisposition(); err == nil && dp["filename"] != "" {
			name = dp["filename"]
		}
		if name == "" {
			name = "part-" + r.PathValue("path")
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+strings.Map(safeName, name)+`"`)
	}
	io.Copy(w, e.Body)
}

func safeName(r rune) rune {
	if r < 0x20 || r == '"' || r == '\\' || r == '/' || r == 0x7f {
		return '_'
	}
	return r
}

func (h *Handler) openPart(r *http.Request) (*message.Entity, func(), error) {
	d, err := h.Store.Get(r.PathValue("key"))
	if err != nil {
		return nil, nil, err
	}
	rc, err := d.Message.Open()
	if err != nil {
		return nil, nil, err
	}
	e, err := findPart(rc, r.PathValue("path"))
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return e, func() { rc.Close() }, nil
}

// thumbnail serves a JPEG of an image part, at most 240 x 180, made on
// first request and kept (messages never change).
func (h *Handler) thumbnail(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("key") + "/" + r.PathValue("path")
	b, ok := h.thumbs.get(id)
	if !ok {
		e, closeMsg, err := h.openPart(r)
		if err != nil {
			fail(w, http.StatusNotFound, "%v", err)
			return
		}
		img, _, err := image.Decode(e.Body)
		closeMsg()
		if err != nil {
			fail(w, http.StatusUnprocessableEntity, "not an image this page can read: %v", err)
			return
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, shrink(img, 240, 180), &jpeg.Options{Quality: 80})
		b = buf.Bytes()
		h.thumbs.put(id, b)
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Write(b)
}

// shrink scales img to fit w x h, averaging each box of source pixels
// (sampled at most 4 x 4 a box, so that a 4 MP frame stays quick).
func shrink(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw == 0 || sh == 0 {
		return img
	}
	scale := min(float64(w)/float64(sw), float64(h)/float64(sh), 1)
	dw, dh := max(1, int(float64(sw)*scale)), max(1, int(float64(sh)*scale))
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		y0, y1 := b.Min.Y+y*sh/dh, b.Min.Y+max((y+1)*sh/dh, y*sh/dh+1)
		for x := range dw {
			x0, x1 := b.Min.X+x*sw/dw, b.Min.X+max((x+1)*sw/dw, x*sw/dw+1)
			var r, g, bl, n uint32
			for sy := y0; sy < y1; sy += max(1, (y1-y0)/4) {
				for sx := x0; sx < x1; sx += max(1, (x1-x0)/4) {
					cr, cg, cb, _ := img.At(sx, sy).RGBA()
					r, g, bl, n = r+cr, g+cg, bl+cb, n+1
				}
			}
			i := out.PixOffset(x, y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(r/n>>8), uint8(g/n>>8), uint8(bl/n>>8), 255
		}
	}
	return out
}

// thumbCache keeps the latest thumbnails, a few hundred KB in all.
type thumbCache struct {
	mu    sync.Mutex
	order list.List
	items map[string]*list.Element
}

type thumb struct {
	id string
	b  []byte
}

const maxThumbs = 64

func (c *thumbCache) get(id string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		c.order.MoveToFront(el)
		return el.Value.(thumb).b, true
	}
	return nil, false
}

func (c *thumbCache) put(id string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]*list.Element{}
	}
	c.items[id] = c.order.PushFront(thumb{id, b})
	for c.order.Len() > maxThumbs {
		el := c.order.Back()
		c.order.Remove(el)
		delete(c.items, el.Value.(thumb).id)
	}
}
