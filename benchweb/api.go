// Package benchweb is the web page and JSON API of `alertsim serve`: the
// messages a device on the bench sent, searchable, each with its headers,
// text, MIME tree, attachments (thumbnails of images), raw source and the
// session behind it; and every session, above all those that delivered
// nothing, with why they ended. The page updates live as mail arrives.
// Everything it serves comes from the binary (embed): no CDN, no fetch
// from outside.
//
// The API, under /api/v1 (JSON unless said otherwise):
//
//	GET    /messages?query=&start=&limit=    newest first: {"total", "messages": [...]}
//	GET    /messages/wait?count=N&query=&timeout=30s
//	                                         waits until N messages match, 408 on timeout
//	GET    /messages/{key}                   one message: envelope, parts, session
//	GET    /messages/{key}/raw               the .eml as stored (text/plain)
//	GET    /messages/{key}/eml               the same, as a download
//	GET    /messages/{key}/parts/{path}      a part's decoded body ("1.2")
//	GET    /messages/{key}/parts/{path}/thumbnail   a JPEG of an image part
//	DELETE /messages/{key}                   delete one
//	DELETE /messages                         delete all
//	GET    /sessions?failed=1                newest first, without transcripts
//	GET    /sessions/wait?count=N&failed=1&timeout=30s
//	GET    /sessions/{id}                    one session with its transcript
//	DELETE /sessions                         forget the finished sessions
//	GET    /events                           server-sent events: "message", "session"
//
// and GET /ca.pem, the CA a device verifying the server must trust.
package benchweb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"alertsim/emlstore"
	"alertsim/fakesmtp"
	"alertsim/internal/mailview"
)

// Server is one fake SMTP server whose sessions the page shows.
type Server struct {
	// Name prefixes its session IDs ("submission-3").
	Name string
	SMTP *fakesmtp.Server
}

// Handler serves the page and the API. Set its fields, then serve it;
// call Notify from the SMTP servers' OnEvent so that pages and waiters
// learn of sessions as they happen.
type Handler struct {
	Store   *emlstore.Store
	Servers []Server
	// CAPEM is served as /ca.pem; empty serves 404.
	CAPEM []byte
	// Title names the bench in the page's heading.
	Title string

	once     sync.Once
	mux      *http.ServeMux
	mu       sync.Mutex
	sessions chan struct{} // closed and replaced at each session event
	thumbs   thumbCache
}

// Notify tells the handler that a session changed.
func (h *Handler) Notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sessions != nil {
		close(h.sessions)
	}
	h.sessions = make(chan struct{})
}

func (h *Handler) sessionChanged() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sessions == nil {
		h.sessions = make(chan struct{})
	}
	return h.sessions
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.routes)
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /api/v1/messages", h.listMessages)
	m.HandleFunc("GET /api/v1/messages/wait", h.waitMessages)
	m.HandleFunc("GET /api/v1/messages/{key}", h.getMessage)
	m.HandleFunc("GET /api/v1/messages/{key}/raw", h.rawMessage)
	m.HandleFunc("GET /api/v1/messages/{key}/eml", h.rawMessage)
	m.HandleFunc("GET /api/v1/messages/{key}/parts/{path}", h.part)
	m.HandleFunc("GET /api/v1/messages/{key}/parts/{path}/thumbnail", h.thumbnail)
	m.HandleFunc("DELETE /api/v1/messages/{key}", h.deleteMessage)
	m.HandleFunc("DELETE /api/v1/messages", h.deleteMessages)
	m.HandleFunc("GET /api/v1/sessions", h.listSessions)
	m.HandleFunc("GET /api/v1/sessions/wait", h.waitSessions)
	m.HandleFunc("GET /api/v1/sessions/{id}", h.getSession)
	m.HandleFunc("DELETE /api/v1/sessions", h.deleteSessions)
	m.HandleFunc("GET /api/v1/events", h.events)
	m.HandleFunc("GET /ca.pem", h.caPEM)
	m.Handle("GET /", pageHandler(h))
	h.mux = m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func intParam(r *http.Request, name string, def int) int {
	if n, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil && n >= 0 {
		return n
	}
	return def
}

// MessageSummary is a message in a list.
type MessageSummary struct {
	Key      string    `json:"key"`
	Received time.Time `json:"received"`
	From     string    `json:"from"`
	To       []string  `json:"to"`
	Subject  string    `json:"subject"`
	Size     int64     `json:"size"`
	// Attachments counts the parts with a file name; null until the
	// message has been parsed, which its first GET does (serve stores
	// messages unparsed: fakesmtp.Server.DeferParse).
	Attachments *int `json:"attachments"`
	// Image is the part path of its first image, for a thumbnail.
	Image    string `json:"image,omitempty"`
	Remote   string `json:"remote"`
	TLS      string `json:"tls,omitempty"`
	AuthUser string `json:"authUser,omitempty"`
}

func summary(e emlstore.Entry) MessageSummary {
	out := MessageSummary{Key: e.Key, Received: e.Received, From: e.From, To: e.To, Subject: e.Subject, Size: e.Size, Image: e.Image, Remote: e.Remote, TLS: e.TLS, AuthUser: e.AuthUser}
	if e.Attachments >= 0 {
		out.Attachments = &e.Attachments
	}
	return out
}

type messageList struct {
	Total    int              `json:"total"`
	Messages []MessageSummary `json:"messages"`
}

func (h *Handler) list(r *http.Request) messageList {
	entries, total := h.Store.List(r.URL.Query().Get("query"), intParam(r, "start", 0), intParam(r, "limit", 100))
	out := messageList{Total: total, Messages: []MessageSummary{}}
	for _, e := range entries {
		out.Messages = append(out.Messages, summary(e))
	}
	return out
}

func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, h.list(r))
}

// waitTimeout reads ?timeout=, at most ten minutes.
func waitTimeout(r *http.Request) time.Duration {
	d, err := time.ParseDuration(r.URL.Query().Get("timeout"))
	if err != nil || d <= 0 {
		d = 30 * time.Second
	}
	return min(d, 10*time.Minute)
}

func (h *Handler) waitMessages(w http.ResponseWriter, r *http.Request) {
	want := intParam(r, "count", 1)
	ctx, cancel := context.WithTimeout(r.Context(), waitTimeout(r))
	defer cancel()
	for {
		changed := h.Store.Changed()
		if l := h.list(r); l.Total >= want {
			writeJSON(w, http.StatusOK, l)
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			fail(w, http.StatusRequestTimeout, "%d of %d messages after %v", h.list(r).Total, want, waitTimeout(r))
			return
		}
	}
}

// MessageDetail is one message, whole.
type MessageDetail struct {
	MessageSummary
	Helo          string         `json:"helo"`
	TLSInfo       *TLSView       `json:"tlsInfo,omitempty"`
	AuthMechanism string         `json:"authMechanism,omitempty"`
	ParseError    string         `json:"parseError,omitempty"`
	Headers       string         `json:"headers"`
	Text          string         `json:"text"`
	Parts         []PartView     `json:"parts"`
	Session       *SessionDetail `json:"session,omitempty"`
}

// PartView is one entity of the MIME tree, as a report shows it too.
type PartView = mailview.Part

// TLSView is a session's TLS.
type TLSView = mailview.TLSView

func (h *Handler) getMessage(w http.ResponseWriter, r *http.Request) {
	d, err := h.Store.Get(r.PathValue("key"))
	if err != nil {
		notFound(w, err)
		return
	}
	m := d.Message
	// The fields every view of a message shows (mailview), and the
	// bench's own.
	v := mailview.Of(m)
	out := MessageDetail{MessageSummary: summary(d.Entry), Helo: m.Helo, TLSInfo: v.TLS, AuthMechanism: m.AuthMechanism, ParseError: v.ParseError, Headers: v.Headers, Text: v.Text, Parts: v.Parts}
	// The session kept with the message once it ended, or the live one.
	if live, ok := h.liveSession(m); ok {
		out.Session = &live
	} else if d.Session != nil {
		// Its server is not recorded with it: "kept" names it.
		s := sessionDetail("kept", *d.Session)
		out.Session = &s
	}
	writeJSON(w, http.StatusOK, out)
}

// liveSession finds the session of a message among the servers' own, while
// they keep it (its copy joins the message once it ends): by its ID, on
// the server whose session of that ID delivered it.
func (h *Handler) liveSession(m *fakesmtp.Message) (SessionDetail, bool) {
	for _, srv := range h.Servers {
		if s, ok := srv.SMTP.Session(m.Session); ok && slices.Contains(s.StoreKeys, m.StoreKey) {
			return sessionDetail(srv.Name, s), true
		}
	}
	return SessionDetail{}, false
}

func notFound(w http.ResponseWriter, err error) {
	if errors.Is(err, emlstore.ErrNotFound) {
		fail(w, http.StatusNotFound, "no such message")
		return
	}
	fail(w, http.StatusInternalServerError, "%v", err)
}

func (h *Handler) rawMessage(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	f, err := h.Store.OpenEML(key)
	if err != nil {
		notFound(w, err)
		return
	}
	defer f.Close()
	if strings.HasSuffix(r.URL.Path, "/eml") {
		w.Header().Set("Content-Type", "message/rfc822")
		w.Header().Set("Content-Disposition", `attachment; filename="`+key+`.eml"`)
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.Copy(w, f)
}

func (h *Handler) deleteMessage(w http.ResponseWriter, r *http.Request) {
	if err := h.Store.Delete(r.PathValue("key")); err != nil {
		notFound(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": 1})
}

func (h *Handler) deleteMessages(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]int{"deleted": h.Store.DeleteAll()})
}

func (h *Handler) caPEM(w http.ResponseWriter, r *http.Request) {
	if len(h.CAPEM) == 0 {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="ca.pem"`)
	w.Write(h.CAPEM)
}

// events streams server-sent events: "message" when the store changes,
// "session" when a session does; a page reloads what it shows on each.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "event: hello\ndata: {}\n\n")
	flusher.Flush()
	for {
		msgs, sess := h.Store.Changed(), h.sessionChanged()
		select {
		case <-msgs:
			io.WriteString(w, "event: message\ndata: {}\n\n")
		case <-sess:
			io.WriteString(w, "event: session\ndata: {}\n\n")
		case <-r.Context().Done():
			return
		}
		flusher.Flush()
	}
}
