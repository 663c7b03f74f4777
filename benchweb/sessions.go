package benchweb

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"alertsim/fakesmtp"
	"alertsim/internal/mailview"
)

// SessionSummary is a session in a list.
type SessionSummary struct {
	ID        string    `json:"id"`
	Server    string    `json:"server"`
	Remote    string    `json:"remote"`
	Local     string    `json:"local"`
	Mode      string    `json:"mode"`
	Started   time.Time `json:"started"`
	Ended     time.Time `json:"ended,omitzero"`
	EndReason string    `json:"endReason,omitempty"`
	Helo      string    `json:"helo,omitempty"`
	TLS       *TLSView  `json:"tls,omitempty"`
	TLSError  string    `json:"tlsError,omitempty"`
	AuthUser  string    `json:"authUser,omitempty"`
	// Logins are the AUTH attempts: user, mechanism, result.
	Logins    []LoginView `json:"logins"`
	Delivered int         `json:"delivered"`
	Messages  []string    `json:"messages"`
	// Failed: the session delivered nothing.
	Failed bool `json:"failed"`
	// Problem is the reason to look at it, in a few words: the last
	// refusal, a failed handshake or login, how it ended.
	Problem string `json:"problem,omitempty"`
}

// LoginView is one AUTH attempt; passwords are never kept.
type LoginView struct {
	At        time.Time `json:"at"`
	Mechanism string    `json:"mechanism"`
	User      string    `json:"user"`
	OK        bool      `json:"ok"`
	Reply     string    `json:"reply,omitempty"`
}

// SessionDetail is a session with its transcript.
type SessionDetail struct {
	SessionSummary
	Transcript []LineView `json:"transcript"`
	Omitted    int        `json:"omitted,omitempty"`
}

// LineView is one transcript line: "C" (client), "S" (server) or "*".
type LineView struct {
	At   time.Time `json:"at"`
	Who  string    `json:"who"`
	Text string    `json:"text"`
}

func sessionSummary(server string, s fakesmtp.Session) SessionSummary {
	out := SessionSummary{
		ID: fmt.Sprintf("%s-%d", server, s.ID), Server: server, Remote: s.Remote, Local: s.Local, Mode: s.Mode.String(),
		Started: s.Started, Ended: s.Ended, EndReason: s.EndReason, Helo: s.Helo, TLS: mailview.TLSOf(s.TLS), TLSError: s.TLSError, AuthUser: s.AuthUser,
		Logins: []LoginView{}, Delivered: s.Delivered, Messages: slices.Clone(s.StoreKeys), Failed: s.Delivered == 0,
	}
	if out.Messages == nil {
		out.Messages = []string{}
	}
	for _, l := range s.Logins {
		out.Logins = append(out.Logins, LoginView{At: l.At, Mechanism: l.Mechanism, User: l.User, OK: l.OK, Reply: l.Reply})
	}
	out.Problem = mailview.Problem(s)
	return out
}

func sessionDetail(server string, s fakesmtp.Session) SessionDetail {
	d := SessionDetail{SessionSummary: sessionSummary(server, s), Transcript: []LineView{}, Omitted: s.Omitted}
	for _, l := range s.Transcript {
		who := map[fakesmtp.LineKind]string{fakesmtp.Command: "C", fakesmtp.Reply: "S", fakesmtp.Note: "*"}[l.Kind]
		d.Transcript = append(d.Transcript, LineView{At: l.At, Who: who, Text: l.Text})
	}
	return d
}

// allSessions returns every server's sessions, newest first, without
// their transcripts.
func (h *Handler) allSessions() []SessionSummary {
	var out []SessionSummary
	for _, srv := range h.Servers {
		for _, s := range srv.SMTP.SessionSummaries() {
			out = append(out, sessionSummary(srv.Name, s))
		}
	}
	slices.SortStableFunc(out, func(a, b SessionSummary) int { return b.Started.Compare(a.Started) })
	return out
}

type sessionList struct {
	Total    int              `json:"total"`
	Sessions []SessionSummary `json:"sessions"`
}

func (h *Handler) sessionList(r *http.Request) sessionList {
	failed := r.URL.Query().Get("failed") == "1"
	out := sessionList{Sessions: []SessionSummary{}}
	for _, s := range h.allSessions() {
		if failed && !s.Failed {
			continue
		}
		out.Total++
		if len(out.Sessions) < intParam(r, "limit", 200) {
			out.Sessions = append(out.Sessions, s)
		}
	}
	return out
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, h.sessionList(r))
}

// waitSessions waits until count sessions match and have ended.
func (h *Handler) waitSessions(w http.ResponseWriter, r *http.Request) {
	want := intParam(r, "count", 1)
	ctx, cancel := context.WithTimeout(r.Context(), waitTimeout(r))
	defer cancel()
	for {
		changed := h.sessionChanged()
		l := h.sessionList(r)
		ended := 0
		for _, s := range l.Sessions {
			if !s.Ended.IsZero() {
				ended++
			}
		}
		if ended >= want {
			writeJSON(w, http.StatusOK, l)
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			fail(w, http.StatusRequestTimeout, "%d of %d sessions ended after %v", ended, want, waitTimeout(r))
			return
		}
	}
}

func (h *Handler) getSession(w http.ResponseWriter, r *http.Request) {
	// "submission-3": the server's name, then the session's ID.
	id := r.PathValue("id")
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		n, err := strconv.Atoi(id[i+1:])
		for _, srv := range h.Servers {
			if srv.Name != id[:i] || err != nil {
				continue
			}
			if s, ok := srv.SMTP.Session(n); ok {
				writeJSON(w, http.StatusOK, sessionDetail(srv.Name, s))
				return
			}
		}
	}
	fail(w, http.StatusNotFound, "no such session (sessions are kept in memory, the latest ones only)")
}

func (h *Handler) deleteSessions(w http.ResponseWriter, r *http.Request) {
	n := 0
	for _, srv := range h.Servers {
		n += srv.SMTP.ForgetSessions()
	}
	h.Notify()
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
}
