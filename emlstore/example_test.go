package emlstore_test

import (
	"fmt"
	"net"
	"net/smtp"
	"os"

	"alertsim/emlstore"
	"alertsim/fakesmtp"
)

// A fake server on loopback that keeps each message as a .eml file,
// fsync'd before its 250, and the store listing it.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "emlstore-example-")
	defer os.RemoveAll(dir)
	store, err := emlstore.Open(dir, "bench.example", emlstore.Limits{Messages: 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := fakesmtp.NewServer()
	srv.Store = store
	go srv.Serve(l, fakesmtp.Plain)
	defer srv.Close()

	smtp.SendMail(l.Addr().String(), nil, "camera@example.com", []string{"owner@example.com", "bcc@example.com"},
		[]byte("Subject: Motion at the gate\r\n\r\nSnapshot attached.\r\n"))

	list, total := store.List("", 0, 10)
	fmt.Println(total, list[0].Subject, list[0].From, list[0].To)
	// Output:
	// 1 Motion at the gate camera@example.com [owner@example.com bcc@example.com]
}
