package node

import (
	"fmt"
	"unsafe"

	stdsrv "github.com/aether-lab/aether-bridge/msgs/gen/std_srvs/srv"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Service names, private to the node (e.g. /aether_bridge/home).
const (
	ServiceHome      = "~/home"
	ServiceStop      = "~/stop"
	ServiceReconnect = "~/reconnect"
)

// createServices serves ~/home, ~/stop and ~/reconnect. Each answers at
// once (the executor must stay free for /aether/estop): success means the
// command was handed to the link; its outcome follows on /aether/ack with
// the id named in the message.
func (n *Node) createServices() error {
	// Acks name the service as ros2 service list shows it, e.g. /aether_bridge/home.
	source := func(private string) string { return n.node.FullyQualifiedName() + private[1:] }
	services := []struct {
		name   string
		handle func() (bool, string)
	}{
		{ServiceHome, func() (bool, string) {
			id, err := n.core.Home(source(ServiceHome))
			if err != nil {
				return false, "home not sent: " + bridge.Message(err)
			}
			return true, fmt.Sprintf("home sent as id %s; the outcome follows on %s", idString(id), n.resolved(TopicAck))
		}},
		{ServiceStop, func() (bool, string) {
			id, queued := n.core.Stop(source(ServiceStop))
			if queued {
				return true, fmt.Sprintf("stop kept as id %s: the controller is unreachable now; it is sent first when the link is back (a late stop is safe); follow %s", idString(id), n.resolved(TopicAck))
			}
			return true, fmt.Sprintf("stop sent as id %s, ahead of everything queued; latched until a reset (%s false)", idString(id), n.resolved(TopicEstop))
		}},
		{ServiceReconnect, func() (bool, string) {
			l := n.linkSink
			if l == nil {
				return false, "no TCP link in mode " + n.settings.Mode
			}
			l.Reconnect()
			return true, "reconnecting to " + n.settings.ControllerAddr() + "; follow " + n.resolved(TopicLinkState)
		}},
	}
	for _, s := range services {
		handle := s.handle
		err := serve(n, s.name, stdsrv.TriggerTypeSupport, sizeofTriggerResponse,
			func(*stdsrv.Trigger_Request) *stdsrv.Trigger_Response {
				resp := stdsrv.NewTrigger_Response()
				resp.Success, resp.Message = handle()
				return resp
			})
		if err != nil {
			return err
		}
	}
	return nil
}

var sizeofTriggerResponse = unsafe.Sizeof(stdsrv.CTrigger_Response{})

func idString(id protocol.ID) string { return bridge.IDText(id) }
