package fidelity

import (
	"fmt"
	"strings"
	"time"

	"alertsim/netem"
)

// Kind is what an experiment measures.
type Kind uint8

const (
	// Blackhole: a TLS client whose first flight exceeds a path MTU whose
	// ICMP is filtered; the figures are the times, from the start of the
	// dial, at which the first data segment is sent again.
	Blackhole Kind = iota + 1
	// Handshake: a TLS handshake; the figure is its time from the start
	// of the dial to the client's end of it.
	Handshake
	// Probing: a TLS client behind a black hole with MTU probing; the
	// figure is when, from the start of the dial, it first sends its first
	// segment again cut to tcp_base_mss (1024 bytes).
	Probing
	// SYNs: a dial to a filtered port; the figures are the times of the
	// SYNs after the first, then when the dial fails.
	SYNs
	// Bulk: an upload of Size bytes; the figure is the time from the
	// start of the dial to the last byte read by the server.
	Bulk
	// Loss: the same upload with segments lost on their first
	// transmission; the figure is the time the losses add to the upload
	// without them.
	Loss
	// Load: an upload into a full bottleneck buffer; the figures are the
	// sender's smoothed round trip at its largest before the first loss,
	// and the upload's time.
	Load
)

// Experiment is one measurement, made the same way on the kernel and on
// netem.
type Experiment struct {
	Name string
	Kind Kind
	// RTT is split evenly between the two directions.
	RTT time.Duration
	// Up is the rate from the device, Down towards it (0: unlimited).
	Up, Down netem.Bitrate
	// Buffer is the bottleneck queue of each rate-limited direction, in
	// bytes.
	Buffer int
	// DeviceMTU is the device's interface MTU (1500 when 0); PathMTU the
	// path's (none when 0), black-holed unless ICMP is set.
	DeviceMTU, PathMTU int
	ICMP               bool
	// Kernel is the device's TCP.
	Kernel netem.Kernel
	// Size is the upload's bytes (Bulk, Loss, Load).
	Size int
	// Lose are the stream offsets of the segments lost on their first
	// transmission (Loss).
	Lose []int64
	// Retransmissions is how many retransmissions a Blackhole row
	// measures.
	Retransmissions int
}

// The server's ports on both sides: dataPort serves, filteredPort is
// filtered on the device's access link.
const (
	dataPort     = 2525
	filteredPort = 2526
)

func seconds(d time.Duration) float64 { return d.Seconds() }

// Outcome is what one side measured: figures in seconds, and a note when
// something went wrong.
type Outcome struct {
	Figures []float64
	Err     error
}

// Row is an experiment measured on both sides.
type Row struct {
	Exp            Experiment
	Kernel, Netem  Outcome
	OK             bool
	Why            string
	Ratio          float64
	KernelText     string
	NetemText      string
	ToleranceBasis string
}

// Tolerance is how far a netem figure may be from the kernel's: 5% or
// 50 ms, whichever is larger.
func Tolerance(kernel float64) float64 { return max(0.05*kernel, 0.050) }

// Judge compares the two outcomes of an experiment.
func Judge(e Experiment, kernel, nm Outcome) Row {
	r := Row{Exp: e, Kernel: kernel, Netem: nm, KernelText: figures(kernel), NetemText: figures(nm)}
	switch {
	case kernel.Err != nil:
		r.Why = "kernel: " + kernel.Err.Error()
		return r
	case nm.Err != nil:
		r.Why = "netem: " + nm.Err.Error()
		return r
	case len(kernel.Figures) != len(nm.Figures):
		r.Why = fmt.Sprintf("the kernel gave %d figures, netem %d", len(kernel.Figures), len(nm.Figures))
		return r
	case len(kernel.Figures) == 0:
		r.Why = "no figures"
		return r
	}
	last := len(kernel.Figures) - 1
	if kernel.Figures[last] != 0 {
		r.Ratio = nm.Figures[last] / kernel.Figures[last]
	}
	for i, k := range kernel.Figures {
		n := nm.Figures[i]
		if d := n - k; d > Tolerance(k) || -d > Tolerance(k) {
			r.Why = fmt.Sprintf("figure %d: netem %.3f s, kernel %.3f s: off by %+.3f s, more than %.3f s", i+1, n, k, d, Tolerance(k))
			return r
		}
	}
	r.OK = true
	return r
}

func figures(o Outcome) string {
	if o.Err != nil {
		return "error"
	}
	parts := make([]string, len(o.Figures))
	for i, f := range o.Figures {
		parts[i] = fmt.Sprintf("%.3f", f)
	}
	return strings.Join(parts, " ")
}

// Table renders the rows as one Markdown table: experiment, kernel,
// netem, ratio (of the last figure), verdict.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| experiment | kernel (s) | netem (s) | ratio | verdict |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		verdict := "ok"
		if !r.OK {
			verdict = "FAIL: " + r.Why
		}
		ratio := "-"
		if r.Ratio != 0 {
			ratio = fmt.Sprintf("%.3f", r.Ratio)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Exp.Name, r.KernelText, r.NetemText, ratio, verdict)
	}
	return b.String()
}
