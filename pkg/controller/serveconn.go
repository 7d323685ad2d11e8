package controller

import (
	"context"
	"errors"
	"net"
)

// Errors returned by ServeConn when it does not serve the connection.
var (
	// ErrClosed means the server has been closed.
	ErrClosed = errors.New("controller: server is closed")
	// ErrTooManyClients means MaxClients connections are already served;
	// the connection was sent the busy line and closed.
	ErrTooManyClients = errors.New("controller: too many clients")
)

// ServeConn serves one already-open stream connection, such as a WebSocket
// bridged by websocket.NetConn, exactly like a connection accepted by
// Serve: it counts towards MaxClients and goes through the same
// authentication, control lease, validation, duplicate ids, flood limits
// and watchdog. conn must support deadlines (every read and write has one).
//
// It returns when the session ends: the client left, the connection
// failed, ctx ended (the connection is then closed) or the server shut
// down. conn is closed on return. The error is nil once the connection
// was served, else ErrClosed or ErrTooManyClients.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) error {
	c, err := s.register(conn)
	if err != nil {
		if errors.Is(err, ErrTooManyClients) {
			s.turnAway(conn)
		} else {
			conn.Close()
		}
		return err
	}
	defer s.finish(c)
	stop := context.AfterFunc(ctx, c.cancel)
	defer stop()
	c.run()
	return nil
}
