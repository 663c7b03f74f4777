package alert_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
)

// sink is the least an SMTP server can be: it offers 8BITMIME and
// SMTPUTF8, answers every command and throws the message away, so that
// what a benchmark measures is the client's. Each MAIL command, as sent,
// goes to mails unless mails is nil.
func sink(tb testing.TB, mails chan<- string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				io.WriteString(c, "220 sink ESMTP\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					sent := strings.TrimSpace(line)
					switch cmd := strings.ToUpper(sent); {
					case strings.HasPrefix(cmd, "EHLO"):
						io.WriteString(c, "250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
					case strings.HasPrefix(cmd, "MAIL") && mails != nil:
						mails <- sent
						io.WriteString(c, "250 OK\r\n")
					case cmd == "DATA":
						io.WriteString(c, "354 go\r\n")
						// ReadSlice, not ReadString: the sink must not
						// copy the message, or the benchmark would count
						// the server's allocations as the client's.
						for {
							l, err := r.ReadSlice('\n')
							if err == bufio.ErrBufferFull {
								continue
							}
							if err != nil {
								return
							}
							if string(l) == ".\r\n" {
								break
							}
						}
						io.WriteString(c, "250 2.0.0 OK\r\n")
					case cmd == "QUIT":
						io.WriteString(c, "221 bye\r\n")
						return
					default:
						io.WriteString(c, "250 OK\r\n")
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}
