package dir

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/device"
)

// LogCapacity is how many entries the router's log holds.
const LogCapacity = 400

// Activity is the mean time between log entries of the router's own
// traffic (DHCP, firewall, logins).
const Activity = 20 * time.Second

// Events are the triggers a scenario can fire at the router.
var Events = []string{"port-scan", "admin-login", "dhcp-lease", "email-log-now"}

// Router is a running router.
type Router struct {
	device.Base
	settings Settings

	mu      sync.Mutex
	rng     *rand.Rand
	entries []string
	// since counts entries since the log was last mailed or tried, so that
	// a full log that failed to go out is tried again once it has turned
	// over, not at every new entry.
	since   int
	pending bool
	leases  int
	// first is the number of the oldest entry; entries are numbered from
	// 0 in the order they were added, so that a delivered mail clears
	// exactly the entries it carried even if the log turned over meanwhile.
	first, added int
}

// New validates the settings and powers the router on. activity is the
// mean time between entries of its own traffic (see Activity); 0 leaves
// the log to triggers alone.
func New(s Settings, env device.Env, activity time.Duration) (*Router, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	r := &Router{Base: device.Start(env, env.Client(), 4), settings: s, rng: rand.New(rand.NewPCG(env.Seed, 0x10c))}
	if activity > 0 {
		r.Task.Go(func(ctx context.Context) { r.activity(ctx, activity) })
	}
	if sch, _ := s.schedule(); s.EnableEmailNotification && (sch.Every > 0 || sch.Daily != "") {
		sch.Clock = env.Clock
		r.Task.Go(func(ctx context.Context) {
			sch.Run(ctx, func(time.Time) { r.mailLog("schedule") })
		})
	}
	return r, nil
}

// Trigger fires a scenario event: "port-scan" (a burst of 50 firewall
// drops), "admin-login", "dhcp-lease", or "email-log-now" (the Email Now
// button of Status > Logs).
func (r *Router) Trigger(event string) {
	switch event {
	case "port-scan":
		src := fmt.Sprintf("198.51.100.%d", 1+r.intn(254))
		for i := range 50 {
			r.add(fmt.Sprintf("Blocked incoming TCP packet from %s:%d to 192.0.2.10:%d", src, 40000+i, 20+i*7%1000))
		}
	case "admin-login":
		r.add("Web management: administrator logged in from 192.168.0.100")
	case "dhcp-lease":
		r.lease()
	case "email-log-now":
		r.mailLog("email now")
	default:
		r.Logf("unknown event %q ignored", event)
	}
}

func (r *Router) intn(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.IntN(n)
}

func (r *Router) lease() {
	r.mu.Lock()
	r.leases++
	n := r.leases
	r.mu.Unlock()
	r.add(fmt.Sprintf("DHCP: lease 192.168.0.%d to 00:1b:11:%02x:%02x:%02x", 100+n%100, n>>16&0xff, n>>8&0xff, n&0xff))
}

// activity is the router's own traffic: a log entry every so often, at
// seeded random intervals.
func (r *Router) activity(ctx context.Context, mean time.Duration) {
	for {
		r.mu.Lock()
		wait := time.Duration(r.rng.ExpFloat64() * float64(mean))
		kind := r.rng.IntN(10)
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		switch {
		case kind < 5:
			r.add(fmt.Sprintf("Blocked incoming UDP packet from 198.51.100.%d:%d to 192.0.2.10:1900", 1+r.intn(254), 1024+r.intn(60000)))
		case kind < 9:
			r.lease()
		default:
			r.add("Web management: administrator logged in from 192.168.0.100")
		}
	}
}

// add appends an entry, turning the oldest over when the log is full, and
// mails the log when it fills and On Log Full is set.
func (r *Router) add(text string) {
	stamp := r.Now().Format("Jan _2 15:04:05")
	r.mu.Lock()
	if len(r.entries) == LogCapacity {
		r.entries = append(r.entries[:0], r.entries[1:]...)
		r.first++
	}
	r.entries = append(r.entries, stamp+" "+text)
	r.added++
	r.since++
	full := len(r.entries) == LogCapacity && r.since >= LogCapacity && !r.pending
	r.mu.Unlock()
	if full && r.settings.OnLogFull && r.settings.EnableEmailNotification {
		r.mailLog("log full")
	}
}

// mailLog queues the log for mailing. A delivered log is cleared.
func (r *Router) mailLog(why string) {
	if !r.settings.EnableEmailNotification {
		r.Logf("%s: e-mail notification is disabled", why)
		return
	}
	r.mu.Lock()
	if r.pending {
		r.mu.Unlock()
		r.Logf("%s: a log mail is already on its way", why)
		return
	}
	r.pending = true
	r.since = 0
	// The mail carries the log as it is now, whenever the mail task gets
	// to it: what made the log full is in it, and what comes after waits
	// for the next mail.
	log := strings.Join(r.entries, "\n") + "\n"
	n := len(r.entries)
	upTo := r.added
	r.mu.Unlock()
	r.Logf("%s: mailing the log (%s)", why, entries(n))
	s := r.settings
	r.Task.Submit(alert.Job{
		Kind:   why,
		Policy: alert.Policy{Servers: []alert.Server{s.server()}},
		Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
			raw, err := r.Compose(mail, now, alert.Alert{
				FromAddress: s.FromEmailAddress,
				To:          []string{s.ToEmailAddress},
				Subject:     "Log from " + r.Env.Hostname,
				Text:        fmt.Sprintf("The router's log (%s) is attached.\n", entries(n)),
				Attachments: []alert.Attachment{{Name: "log.txt", ContentType: "text/plain", Data: []byte(log)}},
			})
			return alert.Envelope{From: s.FromEmailAddress, To: []string{s.ToEmailAddress}}, raw, err
		},
		Done: func(d *alert.Delivery) {
			r.mu.Lock()
			r.pending = false
			if d.Delivered() {
				// Only what the mail carried is cleared.
				drop := min(max(upTo-r.first, 0), len(r.entries))
				r.entries = append(r.entries[:0], r.entries[drop:]...)
				r.first += drop
			}
			r.mu.Unlock()
			if f := d.Last(); f != nil && !d.Delivered() {
				switch f.Class {
				case alert.ClassRefused:
					r.Logf("%s refuses connections on port 25: the router sends on port 25 only, so a server on another port cannot be reached", s.SMTPServerAddress)
				case alert.ClassConnectTimeout:
					r.Logf("no answer from %s on port 25: the network may block outbound port 25, and the router cannot use another port", s.SMTPServerAddress)
				}
			}
		},
	})
}

// LogEntries returns the log as Status > Logs shows it.
func (r *Router) LogEntries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.entries...)
}

func entries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}
