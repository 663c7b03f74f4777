package netem_test

import (
	"context"
	"fmt"
	"io"
	"net/netip"

	"alertsim/netem"
)

// A camera on a fiber link sends to a server. The same code inside a
// testing/synctest bubble runs in virtual time: a 4G upload that takes a
// minute of network time then takes milliseconds (see TestTransferTimeFollowsRate).
func Example() {
	fiber, _ := netem.LookupProfile("fiber")
	network := netem.New(netem.Config{Seed: 1})
	defer network.Close()
	camera, _ := network.AddHost(netem.HostConfig{Name: "camera", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: fiber.Link()})
	server, _ := network.AddHost(netem.HostConfig{Name: "server", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})

	l, _ := server.Listen("tcp", ":25")
	defer l.Close()
	received := make(chan int64)
	go func() {
		c, _ := l.Accept()
		n, _ := io.Copy(io.Discard, c)
		c.Close()
		received <- n
	}()

	c, err := camera.Dial(context.Background(), "tcp", "203.0.113.25:25")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.LocalAddr(), "->", c.RemoteAddr())
	c.Write(make([]byte, 20_000))
	c.Close()
	fmt.Println(<-received, "bytes received")
	// Output:
	// 192.0.2.10:49152 -> 203.0.113.25:25
	// 20000 bytes received
}
