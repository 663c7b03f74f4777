package fakesmtp

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Stage is a point of the SMTP dialogue where a fault can strike.
type Stage string

const (
	// StageConnect is the greeting: the fault's reply replaces it and the
	// server hangs up; with no reply it hangs up without a word.
	StageConnect  Stage = "connect"
	StageEHLO     Stage = "ehlo"
	StageSTARTTLS Stage = "starttls"
	StageAuth     Stage = "auth"
	StageMail     Stage = "mail"
	StageRcpt     Stage = "rcpt"
	// StageData replaces the reply to the end of the message: the message
	// is received, then refused and not stored.
	StageData Stage = "data"
)

var stages = []Stage{StageConnect, StageEHLO, StageSTARTTLS, StageAuth, StageMail, StageRcpt, StageData}

// ParseStage returns the stage called name.
func ParseStage(name string) (Stage, bool) {
	for _, s := range stages {
		if string(s) == name {
			return s, true
		}
	}
	return "", false
}

// Stages returns the names of every stage.
func Stages() []string {
	out := make([]string, len(stages))
	for i, s := range stages {
		out[i] = string(s)
	}
	return out
}

// Fault overrides the server's reply at one stage.
type Fault struct {
	Stage Stage
	// Reply is what the client gets instead of the normal answer.
	Reply *smtp.SMTPError
	// Recipient limits a rcpt fault to one address.
	Recipient string
	// Times is how many times the fault strikes (0: every time). With
	// StageConnect and Times N, the first N connections fail.
	Times int
	// Hangup closes the connection after the reply.
	Hangup bool
}

func (f Fault) String() string {
	s := string(f.Stage)
	if f.Recipient != "" {
		s += " <" + f.Recipient + ">"
	}
	if f.Reply != nil {
		s += ": " + strings.TrimSpace(strings.ReplaceAll(formatReply(f.Reply), "\r\n", " | "))
	} else {
		s += ": hang up"
	}
	if f.Times > 0 {
		s += fmt.Sprintf(", %d time%s", f.Times, map[bool]string{true: "", false: "s"}[f.Times == 1])
	}
	if f.Hangup && f.Stage != StageConnect {
		s += ", then hang up"
	}
	return s
}

// fault returns the fault that strikes now at stage for recipient, and
// counts it.
func (s *Server) fault(stage Stage, recipient string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.Faults {
		if f.Stage != stage || (f.Recipient != "" && !strings.EqualFold(f.Recipient, recipient)) {
			continue
		}
		if f.Times > 0 && s.struck[i] >= f.Times {
			continue
		}
		s.struck[i]++
		return f, true
	}
	return Fault{}, false
}

// greylisted reports whether a (client, sender, recipient) triplet must
// still wait, and starts its clock the first time it is seen.
func (s *Server) greylisted(client, from, to string) bool {
	if s.Greylist <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(client + "\x00" + from + "\x00" + to)
	first, seen := s.greylist[key]
	if !seen {
		if len(s.greylist) >= maxTracked {
			// A bench server under a flood of new triplets: those whose
			// period is over have been let through once already and go
			// first, then any.
			prune(s.greylist, func(t time.Time) bool { return time.Since(t) >= s.Greylist })
		}
		s.greylist[key] = time.Now()
		return true
	}
	return time.Since(first) < s.Greylist
}

// rateLimited reports whether another message would exceed the rate
// limit, and counts it when not.
func (s *Server) rateLimited() bool {
	if s.RateLimit.Messages <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	kept := s.recent[:0]
	for _, t := range s.recent {
		if now.Sub(t) < s.RateLimit.Per {
			kept = append(kept, t)
		}
	}
	s.recent = kept
	if len(s.recent) >= s.RateLimit.Messages {
		return true
	}
	s.recent = append(s.recent, now)
	return false
}

// RateLimit allows Messages messages in any window of Per.
type RateLimit struct {
	Messages int
	Per      time.Duration
}

// AuthThrottle slows down and then stops password guessing: each failed
// login waits Delay before its answer, and a client address with Failures
// failed logins within Per is refused AUTH (Replies.AuthThrottled, then the
// server hangs up) until the oldest of them is Per old. The zero value
// throttles nothing.
type AuthThrottle struct {
	Failures int
	Per      time.Duration
	Delay    time.Duration
}

// authFailed counts a failed login of a client.
func (s *Server) authFailed(client string) {
	if s.AuthThrottle.Failures <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.authFails[client]; !known && len(s.authFails) >= maxTracked {
		prune(s.authFails, func(f []time.Time) bool { return len(f) == 0 || time.Since(f[len(f)-1]) >= s.AuthThrottle.Per })
	}
	s.authFails[client] = append(s.recentAuthFailures(client), time.Now())
}

// maxTracked bounds the greylist and the failed logins kept, so that a
// flood of new clients or triplets cannot grow them without end.
const maxTracked = 10000

// prune deletes the entries stale says can go, or, if none can, a tenth
// of them.
func prune[V any](m map[string]V, stale func(V) bool) {
	n := len(m)
	for k, v := range m {
		if stale(v) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) > n-n/10 {
			delete(m, k)
		}
	}
}

// authThrottled reports whether a client has failed too often lately.
func (s *Server) authThrottled(client string) bool {
	if s.AuthThrottle.Failures <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recent := s.recentAuthFailures(client)
	if len(recent) == 0 {
		delete(s.authFails, client)
	} else {
		s.authFails[client] = recent
	}
	return len(recent) >= s.AuthThrottle.Failures
}

// recentAuthFailures returns the client's failures within the window.
// Called with s.mu held.
func (s *Server) recentAuthFailures(client string) []time.Time {
	fails := s.authFails[client]
	now := time.Now()
	i := 0
	for i < len(fails) && now.Sub(fails[i]) >= s.AuthThrottle.Per {
		i++
	}
	// Only the latest Failures matter: the list stays bounded however
	// many passwords a client tries.
	if keep := s.AuthThrottle.Failures; len(fails)-i > keep {
		i = len(fails) - keep
	}
	return fails[i:]
}
