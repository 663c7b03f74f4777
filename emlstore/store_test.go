package emlstore_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"alertsim/emlstore"
	"alertsim/fakesmtp"
)

// serve starts a fake server on loopback that keeps its messages in st.
func serve(t *testing.T, st *emlstore.Store, configure func(*fakesmtp.Server)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakesmtp.NewServer()
	srv.Store = st
	srv.Keep = 1
	if configure != nil {
		configure(srv)
	}
	srv.Start(t, l, fakesmtp.Plain)
	return l.Addr().String()
}

func open(t *testing.T, dir string, limits emlstore.Limits) *emlstore.Store {
	t.Helper()
	st, err := emlstore.Open(dir, "bench.example", limits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

const body = "From: cam@example.com\r\nTo: owner@example.com\r\nSubject: =?utf-8?q?Bewegung_erkannt?=\r\n\r\nMotion.\r\n"

// TestEnvelopeInTheFile: the .eml starts with Return-Path and one
// Delivered-To per recipient (the Bcc one too, which no header names),
// then Received, then the message exactly as sent; Go's net/mail and
// Python's email package both read them.
func TestEnvelopeInTheFile(t *testing.T) {
	dir := t.TempDir()
	st := open(t, dir, emlstore.Limits{})
	addr := serve(t, st, nil)
	if err := smtp.SendMail(addr, nil, "cam@example.com", []string{"owner@example.com", "hidden@example.com"}, []byte(body)); err != nil {
		t.Fatal(err)
	}
	list, _ := st.List("", 0, 0)
	if len(list) != 1 {
		t.Fatalf("%d messages listed", len(list))
	}
	e := list[0]
	if e.Subject != "Bewegung erkannt" || !slices.Equal(e.To, []string{"owner@example.com", "hidden@example.com"}) {
		t.Errorf("entry %+v", e)
	}
	raw, err := os.ReadFile(st.Path(e.Key))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Return-Path"); got != "<cam@example.com>" {
		t.Errorf("Return-Path %q", got)
	}
	if got := m.Header["Delivered-To"]; !slices.Equal(got, []string{"owner@example.com", "hidden@example.com"}) {
		t.Errorf("Delivered-To %q", got)
	}
	if !bytes.HasSuffix(raw, []byte(body)) {
		t.Errorf("the message is not kept as sent:\n%s", raw)
	}
	py := exec.Command("/usr/bin/python3", "-c", `import email,sys; m=email.message_from_binary_file(open(sys.argv[1],'rb')); print(m['Return-Path'], '|'.join(m.get_all('Delivered-To')), m['Subject'])`, st.Path(e.Key))
	out, err := py.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "<cam@example.com> owner@example.com|hidden@example.com =?utf-8?q?Bewegung_erkannt?=" {
		t.Errorf("python's email package read %q", got)
	}
	d, err := st.Get(e.Key)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := d.Message.Open()
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != body {
		t.Errorf("Message.Open read %q", data)
	}
}

// TestRestartKeepsMessages: a new Open lists what an earlier one stored,
// and rebuilds a lost sidecar from the .eml alone.
func TestRestartKeepsMessages(t *testing.T) {
	dir := t.TempDir()
	st, err := emlstore.Open(dir, "bench.example", emlstore.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, st, nil)
	for i := range 3 {
		if err := smtp.SendMail(addr, nil, "cam@example.com", []string{fmt.Sprintf("o%d@example.com", i)}, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := st.List("", 0, 0)
	st.Close()
	// A journal that lost its last record, as in a crash before it reached
	// the disk.
	journal := filepath.Join(dir, "index.jsonl")
	b, _ := os.ReadFile(journal)
	os.WriteFile(journal, b[:bytes.LastIndexByte(b[:len(b)-1], '\n')+1], 0o644)

	again := open(t, dir, emlstore.Limits{})
	after, _ := again.List("", 0, 0)
	if len(after) != 3 {
		t.Fatalf("after a restart %d messages, want 3", len(after))
	}
	for i := range after {
		if after[i].Key != before[i].Key || after[i].From != before[i].From || !slices.Equal(after[i].To, before[i].To) || after[i].Subject != before[i].Subject {
			t.Errorf("message %d after the restart %+v, before %+v", i, after[i], before[i])
		}
	}
	if d, err := again.Get(before[0].Key); err != nil || d.Message.From != "cam@example.com" || len(d.Message.Parts) == 0 {
		t.Errorf("the message whose record was lost, read back from its file: %+v %v", d, err)
	}
}

// TestDirectoryLocked: a second process (or store) on the directory is
// refused, and gets it once the first lets go.
func TestDirectoryLocked(t *testing.T) {
	dir := t.TempDir()
	st := open(t, dir, emlstore.Limits{})
	if _, err := emlstore.Open(dir, "x", emlstore.Limits{}); !errors.Is(err, emlstore.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Errorf("second Open: %v, want ErrLocked naming this process", err)
	}
	st.Close()
	open(t, dir, emlstore.Limits{})
}

// TestLimitsEvictOldestFirst: count, bytes and age each let the oldest
// messages go, and say why.
func TestLimitsEvictOldestFirst(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits emlstore.Limits
		keep   int
		reason string
	}{
		{"count", emlstore.Limits{Messages: 2}, 2, "more than 2 messages"},
		{"bytes", emlstore.Limits{Bytes: 1000}, 3, "more than 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t, t.TempDir(), tc.limits)
			var evicted []string
			st.OnEvict = func(e emlstore.Entry, reason string) {
				evicted = append(evicted, e.To[0])
				if reason != tc.reason {
					t.Errorf("evicted for %q, want %q", reason, tc.reason)
				}
			}
			addr := serve(t, st, nil)
			for i := range 5 {
				smtp.SendMail(addr, nil, "cam@example.com", []string{fmt.Sprintf("o%d@example.com", i)}, []byte(body))
			}
			list, _ := st.List("", 0, 0)
			if len(list) != tc.keep || list[0].To[0] != "o4@example.com" {
				t.Errorf("kept %d, newest %v", len(list), list[0].To)
			}
			if want := 5 - tc.keep; len(evicted) != want || evicted[0] != "o0@example.com" {
				t.Errorf("evicted %v, want the %d oldest", evicted, want)
			}
			files, _ := filepath.Glob(filepath.Join(st.Dir(), "*.eml"))
			if len(files) != tc.keep {
				t.Errorf("%d files, want %d", len(files), tc.keep)
			}
		})
	}
	t.Run("age", func(t *testing.T) {
		st := open(t, t.TempDir(), emlstore.Limits{Age: time.Hour})
		commit := func(m *fakesmtp.Message) {
			t.Helper()
			d, err := st.Create(m)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(d, body)
			if err := d.Commit(m); err != nil {
				t.Fatal(err)
			}
		}
		// The one just committed stays (see TestJustCommittedKept); the
		// next commit lets it go.
		commit(&fakesmtp.Message{From: "a@b", To: []string{"old@d"}, Received: time.Now().Add(-2 * time.Hour)})
		commit(&fakesmtp.Message{From: "a@b", To: []string{"new@d"}, Received: time.Now()})
		if list, _ := st.List("", 0, 0); len(list) != 1 || list[0].To[0] != "new@d" {
			t.Errorf("a message two hours old is kept for an hour: %+v left", list)
		}
	})
}

// TestJustCommittedKept: a message larger than the store's byte limit is
// kept when it comes, since it is answered 250; the older ones go first,
// and it goes when the next one comes.
func TestJustCommittedKept(t *testing.T) {
	st := open(t, t.TempDir(), emlstore.Limits{Bytes: 1000})
	var evicted []string
	st.OnEvict = func(e emlstore.Entry, reason string) { evicted = append(evicted, e.To[0]) }
	addr := serve(t, st, nil)
	big := body + strings.Repeat(strings.Repeat("x", 98)+"\r\n", 30)
	for i, msg := range []string{body, big, big} {
		if err := smtp.SendMail(addr, nil, "cam@example.com", []string{fmt.Sprintf("o%d@example.com", i)}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		list, _ := st.List("", 0, 0)
		if len(list) == 0 || list[0].To[0] != fmt.Sprintf("o%d@example.com", i) {
			t.Fatalf("after message %d (%d bytes, answered 250), the store holds %+v", i, len(msg), list)
		}
		if _, err := os.Stat(st.Path(list[0].Key)); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	if want := []string{"o0@example.com", "o1@example.com"}; !slices.Equal(evicted, want) {
		t.Errorf("evicted %v, want %v", evicted, want)
	}
}

// TestSearch: the list filters on envelope and subject, any case.
func TestSearch(t *testing.T) {
	st := open(t, t.TempDir(), emlstore.Limits{})
	addr := serve(t, st, nil)
	smtp.SendMail(addr, nil, "gate@example.com", []string{"owner@example.com"}, []byte("Subject: Gate motion\r\n\r\nx\r\n"))
	smtp.SendMail(addr, nil, "door@example.com", []string{"owner@example.com"}, []byte("Subject: Door heartbeat\r\n\r\nx\r\n"))
	if got, n := st.List("MOTION", 0, 0); n != 1 || got[0].From != "gate@example.com" {
		t.Errorf("search motion: %d %+v", n, got)
	}
	if _, n := st.List("owner@", 0, 0); n != 2 {
		t.Errorf("search owner@: %d", n)
	}
}

// TestFullDiskIs4xx: on a 2 MB file system, four 700 KB messages: each
// 250 has its file, each refusal is a 4xx, and no partial file remains.
func TestFullDiskIs4xx(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mounting a small tmpfs (CI runs as root): %v", err)
		}
		t.Skipf("mounting a small tmpfs needs root: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	st := open(t, dir, emlstore.Limits{})
	addr := serve(t, st, nil)
	msg := "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 998)+"\r\n", 700)
	accepted, deferred := 0, 0
	for range 4 {
		err := smtp.SendMail(addr, nil, "cam@example.com", []string{"owner@example.com"}, []byte(msg))
		switch {
		case err == nil:
			accepted++
		case isCode(err, 451):
			deferred++
		default:
			t.Errorf("send: %v, want 250 or 451 4.3.0", err)
		}
	}
	if accepted == 0 || deferred == 0 {
		t.Errorf("%d accepted, %d deferred: want the disk to fill", accepted, deferred)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".incoming-*"))
	if len(files) != accepted || len(leftovers) != 0 {
		t.Errorf("%d accepted, %d files, leftovers %q", accepted, len(files), leftovers)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if !bytes.HasSuffix(b, []byte(msg)) {
			t.Errorf("%s is not the whole message", f)
		}
	}
}

func isCode(err error, code int) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code == code
}

// TestKilledMidWrite: a process killed while a message is being written
// leaves a temporary file and its lock; the next Open removes the one and
// takes the other.
func TestKilledMidWrite(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestHelperWriteForever$")
	child.Env = append(os.Environ(), "EMLSTORE_CHILD_DIR="+dir)
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// The child says when it is writing.
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "writing\n" {
		t.Fatalf("child: %q %v", line, err)
	}
	child.Process.Kill()
	child.Wait()
	if left, _ := filepath.Glob(filepath.Join(dir, ".incoming-*")); len(left) == 0 {
		t.Fatal("the killed child left no temporary file: the test tests nothing")
	}
	st := open(t, dir, emlstore.Limits{})
	if left, _ := filepath.Glob(filepath.Join(dir, ".incoming-*")); len(left) != 0 || st.Count() != 0 {
		t.Errorf("after Open: leftovers %q, %d messages", left, st.Count())
	}
}

// TestHelperWriteForever is the child of TestKilledMidWrite.
func TestHelperWriteForever(t *testing.T) {
	dir := os.Getenv("EMLSTORE_CHILD_DIR")
	if dir == "" {
		t.Skip("only as TestKilledMidWrite's child")
	}
	st, err := emlstore.Open(dir, "x", emlstore.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	m := &fakesmtp.Message{From: "a@b", To: []string{"c@d"}, Received: time.Now()}
	d, err := st.Create(m)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 998) + "\r\n")
	for range 200 { // past the draft's buffer: on disk
		d.Write(line)
	}
	d.(interface{ Open() (io.ReadCloser, error) }).Open() // flushes
	fmt.Println("writing")
	for {
		d.Write(line)
		time.Sleep(time.Millisecond)
	}
}

// TestSubjectInAnyCharset: the list shows a subject encoded in the
// charset a camera uses (GB2312 here, as Chinese firmware writes it)
// decoded, as the message's own view does, and search finds it.
func TestSubjectInAnyCharset(t *testing.T) {
	st := open(t, t.TempDir(), emlstore.Limits{})
	addr := serve(t, st, nil)
	msg := "From: cam@example.com\r\nSubject: =?gb2312?B?0sa2r9XssuI=?=\r\n\r\nMotion.\r\n"
	if err := smtp.SendMail(addr, nil, "cam@example.com", []string{"owner@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	list, _ := st.List("侦测", 0, 0)
	if len(list) != 1 || list[0].Subject != "移动侦测" {
		t.Errorf("listed %+v", list)
	}
}
