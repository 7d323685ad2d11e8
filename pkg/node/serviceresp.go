package node

import (
	"fmt"

	"github.com/tiiuae/rclgo/pkg/rclgo"
	"github.com/tiiuae/rclgo/pkg/rclgo/types"
)

// zeroedResponses is a service type whose responses are built in zeroed
// memory. rclgo's service (56b24e11219b) sends a response the way
// Publisher.Publish sends a message: PrepareMemory (the C __create(), a small
// malloc'd buffer per string) then AsCStruct, which mallocs a new buffer per
// string without freeing that one, so every response leaked one malloc
// chunk per string field (TestServiceResponsesDoNotLeak measures it). The
// fix is zeroedMemory's, applied to the response type; requests are taken
// into __create()'d memory by rcl itself and do not leak.
type zeroedResponses struct {
	types.ServiceTypeSupport
	response zeroedMemory
}

// Response returns the response type with zeroed memory.
func (z zeroedResponses) Response() types.MessageTypeSupport { return z.response }

// withZeroedResponses wraps ts; respSize is the C response struct's size
// (unsafe.Sizeof of the generated C type).
func withZeroedResponses(ts types.ServiceTypeSupport, respSize uintptr) zeroedResponses {
	return zeroedResponses{ServiceTypeSupport: ts, response: zeroedMemory{MessageTypeSupport: ts.Response(), size: respSize}}
}

// serve creates a service, served by the wait loop, that answers each
// request with handle's response, sent without rclgo's per-response leak.
// ts is the service type (e.g. std_srvs_srv.TriggerTypeSupport) and
// respSize the size of its C response struct.
func serve[Req, Resp types.Message](n *Node, name string, ts types.ServiceTypeSupport, respSize uintptr,
	handle func(Req) Resp) error {
	s, err := n.node.NewService(name, withZeroedResponses(ts, respSize), nil,
		func(_ *rclgo.ServiceInfo, req types.Message, send rclgo.ServiceResponseSender) {
			r, ok := req.(Req)
			if !ok {
				n.log.Error("service request of an unexpected type", "service", name, "type", fmt.Sprintf("%T", req))
				return
			}
			if err := send.SendResponse(handle(r)); err != nil {
				n.log.Error("sending service response", "service", name, "err", err)
			}
		})
	if err != nil {
		return fmt.Errorf("creating service %s: %w", name, err)
	}
	n.waiting.services = append(n.waiting.services, s)
	return nil
}
