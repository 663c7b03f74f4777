package fidelity

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel rig: three network namespaces per experiment, device - router
// - server, joined by veth pairs, addresses from the documentation ranges
// (device 192.0.2.10, server 203.0.113.25). The router forwards each
// direction through a delay line (delayline_linux.go) whose TUN device
// carries a tbf qdisc for the rate and the bottleneck buffer; its routes
// out of the delay lines have the path MTU, and iptables on it drops ICMP
// "fragmentation needed" (the black hole) and SYNs to the filtered port.
// Nothing is sent outside these namespaces, and they are removed when the
// experiment ends, whether it succeeded or not.

// nsPrefix names every namespace the rig makes, so that what a killed run
// left behind can be found and removed (and nothing else).
const nsPrefix = "alertsim-fid"

// Available says why the kernel rig cannot run here, or nil.
func Available() error {
	if runtime.GOOS != "linux" {
		return errors.New("the kernel rig needs Linux (network namespaces, veth, tbf, TUN)")
	}
	if os.Geteuid() != 0 {
		return errors.New("the kernel rig needs root (it creates network namespaces)")
	}
	for _, tool := range []string{"ip", "tc", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the kernel rig needs %s (Debian packages iproute2 and iptables)", tool)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return errors.New("the kernel rig needs /dev/net/tun")
	}
	return nil
}

// KernelRelease is uname -r.
func KernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// RemoveStale deletes namespaces an interrupted run of the rig left: those
// whose run (the process id in their name) is gone. Another run of the rig
// on the same machine keeps its own.
func RemoveStale() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(line, " ")
		pid, ok := rigPID(name)
		if !ok || pid == os.Getpid() {
			continue
		}
		if err := unix.Kill(pid, 0); err == nil || err == unix.EPERM {
			continue // that run is alive
		}
		exec.Command("ip", "netns", "del", name).Run()
	}
}

// rigPID returns the process id in a namespace name the rig made:
// alertsim-fid<pid>-<experiment><side>.
func rigPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, nsPrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(digits)
	if !ok || err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// rig is one experiment's namespaces and delay lines.
type rig struct {
	dev, rtr, srv string
	up, down      *delayLine
}

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// inNS runs f on an OS thread in namespace ns. The thread is discarded
// afterwards (the goroutine exits locked), so no other goroutine ever runs
// in the namespace by accident; sockets f opens stay in it.
func inNS(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

func sysctls(ns string, kv ...string) error {
	args := []string{"ip", "netns", "exec", ns, "sysctl", "-q"}
	for _, s := range kv {
		args = append(args, "-w", s)
	}
	return run(args...)
}

// newRig builds the namespaces for experiment e, numbered id.
func newRig(e Experiment, id int) (r *rig, err error) {
	base := fmt.Sprintf("%s%d-%d", nsPrefix, os.Getpid(), id)
	r = &rig{dev: base + "d", rtr: base + "r", srv: base + "s"}
	defer func() {
		if err != nil {
			r.close()
			r = nil
		}
	}()
	devMTU := e.DeviceMTU
	if devMTU == 0 {
		devMTU = 1500
	}
	linear := "4"
	if e.Kernel.ExponentialSYN {
		linear = "0"
	}
	probing := "0"
	if e.Kernel.MTUProbing {
		probing = "1"
	}
	steps := [][]string{
		{"ip", "netns", "add", r.dev},
		{"ip", "netns", "add", r.rtr},
		{"ip", "netns", "add", r.srv},
		{"ip", "link", "add", "d0", "netns", r.dev, "type", "veth", "peer", "name", "r0", "netns", r.rtr},
		{"ip", "link", "add", "r1", "netns", r.rtr, "type", "veth", "peer", "name", "s0", "netns", r.srv},
		{"ip", "-n", r.dev, "link", "set", "lo", "up"},
		{"ip", "-n", r.dev, "link", "set", "d0", "mtu", fmt.Sprint(devMTU), "up"},
		{"ip", "-n", r.dev, "addr", "add", "192.0.2.10/24", "dev", "d0"},
		{"ip", "-n", r.dev, "route", "add", "default", "via", "192.0.2.1"},
		{"ip", "-n", r.srv, "link", "set", "lo", "up"},
		{"ip", "-n", r.srv, "link", "set", "s0", "up"},
		{"ip", "-n", r.srv, "addr", "add", "203.0.113.25/24", "dev", "s0"},
		{"ip", "-n", r.srv, "route", "add", "default", "via", "203.0.113.1"},
		{"ip", "-n", r.rtr, "link", "set", "r0", "up"},
		{"ip", "-n", r.rtr, "link", "set", "r1", "up"},
		{"ip", "-n", r.rtr, "addr", "add", "192.0.2.1/24", "dev", "r0"},
		{"ip", "-n", r.rtr, "addr", "add", "203.0.113.1/24", "dev", "r1"},
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			return r, err
		}
	}
	for _, ns := range []string{r.dev, r.srv} {
		syn := fmt.Sprint(synRetries(e.Kernel))
		if err := sysctls(ns,
			"net.ipv4.tcp_timestamps=0",
			"net.ipv4.tcp_sack=1",
			"net.ipv4.tcp_ecn=0",
			"net.ipv4.tcp_no_metrics_save=1",
			"net.ipv4.tcp_mtu_probing="+probing,
			"net.ipv4.tcp_syn_retries="+syn,
			"net.ipv4.tcp_syn_linear_timeouts="+linear,
		); err != nil {
			return r, err
		}
	}

	// The delay lines, created in the router's namespace.
	delay := e.RTT / 2
	if err := inNS(r.rtr, func() error {
		fu, err := openTUN("tunu")
		if err != nil {
			return err
		}
		r.up = newDelayLine(fu, delay, e.Lose)
		fd, err := openTUN("tund")
		if err != nil {
			return err
		}
		r.down = newDelayLine(fd, delay, nil)
		return nil
	}); err != nil {
		return r, err
	}
	steps = [][]string{
		{"ip", "-n", r.rtr, "link", "set", "tunu", "txqueuelen", "10000", "up"},
		{"ip", "-n", r.rtr, "link", "set", "tund", "txqueuelen", "10000", "up"},
		{"ip", "-n", r.rtr, "rule", "add", "iif", "r0", "lookup", "100", "pref", "100"},
		{"ip", "-n", r.rtr, "route", "add", "default", "dev", "tunu", "table", "100"},
		{"ip", "-n", r.rtr, "rule", "add", "iif", "r1", "lookup", "101", "pref", "101"},
		{"ip", "-n", r.rtr, "route", "add", "default", "dev", "tund", "table", "101"},
		{"ip", "netns", "exec", r.rtr, "iptables", "-A", "FORWARD", "-i", "tunu", "-p", "tcp", "--dport", fmt.Sprint(filteredPort), "-j", "DROP"},
	}
	if e.PathMTU > 0 {
		// The path MTU is on the router's routes out of the delay lines,
		// in both directions: a packet has had its delay when it is found
		// too big, as in netem, and the veths' own MTU stays 1500 so that
		// nothing is dropped unseen on the way in.
		mtu := fmt.Sprint(e.PathMTU)
		steps = append(steps,
			[]string{"ip", "-n", r.rtr, "route", "replace", "203.0.113.0/24", "dev", "r1", "src", "203.0.113.1", "mtu", "lock", mtu},
			[]string{"ip", "-n", r.rtr, "route", "replace", "192.0.2.0/24", "dev", "r0", "src", "192.0.2.1", "mtu", "lock", mtu})
	}
	if !e.ICMP {
		steps = append(steps, []string{"ip", "netns", "exec", r.rtr, "iptables", "-A", "OUTPUT", "-p", "icmp", "--icmp-type", "fragmentation-needed", "-j", "DROP"})
	}
	for dev, rate := range map[string]int64{"tunu": int64(e.Up), "tund": int64(e.Down)} {
		if rate == 0 {
			continue
		}
		limit := e.Buffer
		if limit == 0 {
			limit = 16 << 20
		}
		steps = append(steps, []string{"tc", "-n", r.rtr, "qdisc", "add", "dev", dev, "root", "tbf",
			"rate", fmt.Sprintf("%dbit", rate), "burst", "1600", "limit", fmt.Sprint(limit)})
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			return r, err
		}
	}
	if err := sysctls(r.rtr,
		"net.ipv4.conf.all.rp_filter=0",
		"net.ipv4.conf.default.rp_filter=0",
		"net.ipv4.conf.tunu.rp_filter=0",
		"net.ipv4.conf.tund.rp_filter=0",
		"net.ipv4.ip_forward=1",
	); err != nil {
		return r, err
	}
	return r, nil
}

func (r *rig) close() {
	if r.up != nil {
		r.up.close()
	}
	if r.down != nil {
		r.down.close()
	}
	for _, ns := range []string{r.dev, r.rtr, r.srv} {
		exec.Command("ip", "netns", "del", ns).Run()
	}
}

// Rig is one experiment's namespaces, made and ready to measure.
type Rig struct {
	e Experiment
	r *rig
}

// Prepare builds experiment e's namespaces, numbered id. Building and
// removing namespaces is heavy work for the kernel (it takes the RTNL
// lock, forks ip and tc), so the rig prepares every experiment before it
// measures any, and removes them all afterwards.
func Prepare(e Experiment, id int) (*Rig, error) {
	r, err := newRig(e, id)
	if err != nil {
		return nil, err
	}
	return &Rig{e: e, r: r}, nil
}

// Run measures the experiment.
func (g *Rig) Run() Outcome {
	figs, err := g.r.measure(g.e)
	return Outcome{Figures: figs, Err: err}
}

// Close removes the namespaces.
func (g *Rig) Close() { g.r.close() }

func (r *rig) listen(port int, cc string) (net.Listener, error) {
	var l net.Listener
	err := inNS(r.srv, func() (err error) {
		lc := net.ListenConfig{Control: congestionControl(cc)}
		l, err = lc.Listen(context.Background(), "tcp4", fmt.Sprintf("203.0.113.25:%d", port))
		return err
	})
	return l, err
}

func (r *rig) dial(ctx context.Context, port int, cc string) (net.Conn, error) {
	var c net.Conn
	err := inNS(r.dev, func() (err error) {
		d := net.Dialer{Control: congestionControl(cc)}
		c, err = d.DialContext(ctx, "tcp4", fmt.Sprintf("203.0.113.25:%d", port))
		return err
	})
	return c, err
}

// congestionControl sets TCP_CONGESTION on a socket, so that the
// experiment does not depend on the namespace's default alone.
func congestionControl(cc string) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
		})
		if err != nil {
			return err
		}
		return serr
	}
}

func (r *rig) measure(e Experiment) ([]float64, error) {
	cc := e.Kernel.Congestion.String()
	switch e.Kind {
	case Blackhole, Handshake, Probing:
		l, err := r.listen(dataPort, cc)
		if err != nil {
			return nil, err
		}
		defer l.Close()
		go serveTLS(l)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		start := time.Now()
		c, err := r.dial(ctx, dataPort, cc)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if e.Kind == Handshake {
			if err := tls.Client(c, clientTLS()).HandshakeContext(ctx); err != nil {
				return nil, fmt.Errorf("handshake: %w", err)
			}
			return []float64{seconds(time.Since(start))}, nil
		}
		go tls.Client(c, clientTLS()).HandshakeContext(ctx)
		for ctx.Err() == nil {
			if e.Kind == Probing {
				if at, ok := r.up.log.firstCut(0, baseMSS); ok {
					return []float64{seconds(at.Sub(start))}, nil
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			if data, _ := r.up.log.sent(0); len(data) > e.Retransmissions {
				out := make([]float64, e.Retransmissions)
				for i := range out {
					out[i] = seconds(data[i+1].Sub(start))
				}
				return out, nil
			}
			time.Sleep(10 * time.Millisecond)
		}
		return nil, errors.New("too few retransmissions seen")
	case SYNs:
		start := time.Now()
		c, err := r.dial(context.Background(), filteredPort, cc)
		failed := time.Since(start)
		if err == nil {
			c.Close()
			return nil, errors.New("the dial to the filtered port succeeded")
		}
		_, syns := r.up.log.sent(0)
		var out []float64
		for _, s := range syns[1:] {
			out = append(out, seconds(s.Sub(start)))
		}
		return append(out, seconds(failed)), nil
	case Bulk:
		took, _, err := r.upload(e.Size, cc, false)
		return []float64{seconds(took)}, err
	case Loss:
		base, _, err := r.upload(e.Size, cc, false)
		if err != nil {
			return nil, err
		}
		r.up.log.arm()
		lossy, _, err := r.upload(e.Size, cc, false)
		if err != nil {
			return nil, err
		}
		if r.up.log.dropped != len(e.Lose) {
			return nil, fmt.Errorf("the delay line dropped %d segments, want %d", r.up.log.dropped, len(e.Lose))
		}
		return []float64{seconds(lossy - base)}, nil
	case Load:
		took, st, err := r.upload(e.Size, cc, true)
		if err != nil {
			return nil, err
		}
		return []float64{seconds(st.srtt()), seconds(took)}, nil
	}
	return nil, fmt.Errorf("unknown kind %d", e.Kind)
}

// upload sends size bytes from device to server and returns the time from
// the start of the dial to the server's reading the last byte; sample
// reads TCP_INFO meanwhile.
func (r *rig) upload(size int, cc string, sample bool) (time.Duration, *loadStats, error) {
	l, err := r.listen(dataPort, cc)
	if err != nil {
		return 0, nil, err
	}
	defer l.Close()
	start := time.Now()
	var read func(net.Conn) (time.Duration, int, bool)
	if sample || debugLoad {
		read = func(c net.Conn) (srtt time.Duration, retransmits int, ok bool) {
			rc, err := c.(*net.TCPConn).SyscallConn()
			if err != nil {
				return 0, 0, false
			}
			rc.Control(func(fd uintptr) {
				info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
				if err != nil {
					return
				}
				if debugLoad {
					fmt.Printf("%.2f srtt %d rto %d cwnd %d ssthresh %d ca %d retr %d lost %d\n", time.Since(start).Seconds(), info.Rtt/1000, info.Rto/1000, info.Snd_cwnd, info.Snd_ssthresh, info.Ca_state, info.Total_retrans, info.Lost)
				}
				srtt, retransmits, ok = time.Duration(info.Rtt)*time.Microsecond, int(info.Total_retrans), true
			})
			return srtt, retransmits, ok
		}
	}
	took, st, err := timeUpload(l, func() (net.Conn, error) { return r.dial(context.Background(), dataPort, cc) }, size, read)
	if err != nil {
		return 0, nil, err
	}
	return took, st, nil
}

var debugLoad = os.Getenv("FID_DEBUG") != ""
