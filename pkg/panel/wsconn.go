package panel

import (
	"context"
	"net"

	"github.com/coder/websocket"
)

// wsConn is a WebSocket as the stream connection the controller's sessions
// read lines from and write lines to: websocket.NetConn with text messages
// (each line the controller writes is one message), closed without the
// close handshake so that Close never waits for the peer, like closing a
// TCP connection.
type wsConn struct {
	net.Conn // websocket.NetConn: deadlines, real addresses
	ws       *websocket.Conn
}

func newConn(ctx context.Context, ws *websocket.Conn) *wsConn {
	return &wsConn{Conn: websocket.NetConn(ctx, ws, websocket.MessageText), ws: ws}
}

// Close closes the connection at once, unblocking reads and writes.
func (c *wsConn) Close() error {
	err := c.ws.CloseNow()
	c.Conn.Close() // stops NetConn's deadline timers; the socket is already closed
	return err
}
