package benchweb

import (
	"bytes"
	"container/list"
	_ "image/gif" // thumbnails of GIF attachments
	"image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // text parts in any charset

	"alertsim/internal/mailview"
)

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
	d, err := h.Store.Message(r.PathValue("key"))
	if err != nil {
		return nil, nil, err
	}
	rc, err := d.Message.Open()
	if err != nil {
		return nil, nil, err
	}
	e, err := mailview.FindPart(rc, r.PathValue("path"))
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
		img, err := mailview.DecodeImage(e.Body)
		closeMsg()
		if err != nil {
			fail(w, http.StatusUnprocessableEntity, "not an image this page can read: %v", err)
			return
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, mailview.Shrink(img, 240, 180), &jpeg.Options{Quality: 80})
		b = buf.Bytes()
		h.thumbs.put(id, b)
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Write(b)
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
