package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/transport"
)

// client is a plain blocking protocol-v1 client: one request at a time,
// each write and read bounded by timeout. Pushed events met while waiting
// for a reply go to onEvent (nil drops them).
type client struct {
	c       *transport.Conn
	timeout time.Duration
	seq     uint64
	onEvent func(protocol.Response, time.Time)
}

// dial connects to addr and says hello as role, named name.
func dial(ctx context.Context, addr string, role protocol.Role, name string, timeout time.Duration) (*client, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to the controller at %s: %w", addr, err)
	}
	c := &client{c: transport.New(nc, 0), timeout: timeout}
	v := protocol.Version
	resp, err := c.roundTrip(&protocol.Request{Type: protocol.TypeHello, Version: &v, Client: name, Role: role})
	if err == nil && resp.Status != protocol.StatusOK {
		err = fmt.Errorf("controller refused hello: %s (code %s)", resp.Message, resp.Code)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the connection.
func (c *client) Close() error { return c.c.Close() }

// roundTrip sends r with a fresh numeric id and returns its reply.
func (c *client) roundTrip(r *protocol.Request) (protocol.Response, error) {
	c.seq++
	r.ID = protocol.NumericID(c.seq)
	if err := c.c.WriteRequest(r, c.timeout); err != nil {
		return protocol.Response{}, fmt.Errorf("write %s: %w", r.Type, err)
	}
	return c.awaitReply(r.ID, time.Now().Add(c.timeout))
}

// awaitReply reads until the reply to id arrives, passing events on.
func (c *client) awaitReply(id protocol.ID, deadline time.Time) (protocol.Response, error) {
	for {
		line, err := c.c.ReadLine(deadline)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return protocol.Response{}, fmt.Errorf("no reply to request %s within %v: is the controller overloaded or stopped?", id, c.timeout)
		}
		if err != nil {
			return protocol.Response{}, fmt.Errorf("read reply to %s: %w", id, err)
		}
		at := time.Now()
		resp, err := protocol.DecodeResponse(line)
		if err != nil {
			return resp, fmt.Errorf("controller sent a line that is not a reply (%.80q): %w", line, err)
		}
		if resp.Type == protocol.TypeEvent {
			if c.onEvent != nil {
				c.onEvent(resp, at)
			}
			continue
		}
		if resp.ID != id {
			return resp, fmt.Errorf("reply carries id %s, want %s: the stream is out of step", resp.ID, id)
		}
		return resp, nil
	}
}

// idText renders an id as ROS messages and bench/run.py show it: the bare
// text of a string id, the digits of a numeric one.
func idText(id protocol.ID) string {
	if s, err := strconv.Unquote(string(id)); err == nil {
		return s
	}
	return string(id)
}
