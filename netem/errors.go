package netem

import (
	"context"
	"errors"
	"net"
	"os"
)

var errNetworkClosed = errors.New("netem: network closed")

// errCanceled is what a dial canceled by its context returns, as the net
// package words it.
var errCanceled = errors.New("operation was canceled")

// opError wraps err the way the net package does, so that code written
// against real sockets (errors.Is(err, syscall.ECONNREFUSED), a net.Error's
// Timeout) behaves the same here.
func opError(op string, local, remote net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: local, Addr: remote, Err: err}
}

// contextError maps a dial context's error to the net package's.
func contextError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return os.ErrDeadlineExceeded
	case errors.Is(err, context.Canceled):
		return errCanceled
	}
	return err
}
