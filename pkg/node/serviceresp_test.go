package node

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	stdsrv "github.com/aether-lab/aether-bridge/msgs/gen/std_srvs/srv"
)

// TestServiceResponsesDoNotLeak calls a std_srvs/Trigger service many times
// and measures the C heap in use per call: through rclgo's generated
// service (which leaks the response's string buffer on every call) and
// through serve. The client is rclgo's too; a Trigger request has no
// strings, so the client side allocates nothing that outlives a call.
func TestServiceResponsesDoNotLeak(t *testing.T) {
	rctx, err := rclgo.NewContextWithOpts(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rctx.Close()
	rn, err := rctx.NewNode("aether_service_leak_test", "")
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{log: slog.New(slog.NewTextHandler(io.Discard, nil)), rctx: rctx, node: rn}
	message := strings.Repeat("home sent as id abc123-42; the outcome follows on /aether/ack ", 2)
	answer := func() *stdsrv.Trigger_Response {
		resp := stdsrv.NewTrigger_Response()
		resp.Success, resp.Message = true, message
		return resp
	}

	typed, err := stdsrv.NewTriggerService(rn, "~/typed", nil,
		func(_ *rclgo.ServiceInfo, _ *stdsrv.Trigger_Request, send stdsrv.TriggerServiceResponseSender) {
			if err := send.SendResponse(answer()); err != nil {
				t.Error(err)
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := serve(n, "~/fixed", stdsrv.TriggerTypeSupport, sizeofTriggerResponse,
		func(*stdsrv.Trigger_Request) *stdsrv.Trigger_Response { return answer() }); err != nil {
		t.Fatal(err)
	}
	clients := map[string]*stdsrv.TriggerClient{}
	ws, err := rctx.NewWaitSet()
	if err != nil {
		t.Fatal(err)
	}
	ws.AddServices(typed.Service)
	ws.AddServices(n.waiting.services...)
	for _, name := range []string{"typed", "fixed"} {
		c, err := stdsrv.NewTriggerClient(rn, "/aether_service_leak_test/"+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		clients[name] = c
		ws.AddClients(c.Client)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ws.Run(ctx); err != nil && ctx.Err() == nil {
			t.Error(err)
		}
	}()
	defer func() { cancel(); wg.Wait(); ws.Close() }()

	const calls = 3000
	perCall := func(name string) float64 {
		c := clients[name]
		call := func() {
			cctx, done := context.WithTimeout(ctx, 10*time.Second)
			defer done()
			resp, _, err := c.Send(cctx, stdsrv.NewTrigger_Request())
			if err != nil {
				t.Fatalf("calling ~/%s: %v", name, err)
			}
			if resp.Message != message {
				t.Fatalf("~/%s answered %q", name, resp.Message)
			}
		}
		for range 300 { // warm up: discovery, DDS caches
			call()
		}
		before := cHeapInUse()
		for range calls {
			call()
		}
		return (float64(cHeapInUse()) - float64(before)) / calls
	}
	leaky := perCall("typed")
	if leaky < 16 { // one string field: at least one 16-byte chunk per response
		t.Errorf("rclgo's generated service grew the C heap by only %.1f B/call: fixed upstream? then drop zeroedResponses", leaky)
	}
	fixed := perCall("fixed")
	if fixed > 2 {
		t.Fatalf("serve grew the C heap by %.1f B/call (rclgo's own service: %.1f)", fixed, leaky)
	}
	t.Logf("C heap growth per Trigger call: rclgo's service %.1f B, serve %.1f B", leaky, fixed)
}
