package link

import (
	"sync"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// dispatcher runs the user's callbacks on one goroutine, in the order they
// were posted, so a slow callback never stalls the connection.
type dispatcher struct {
	onResult    func(Result)
	onState     func(StateChange)
	onTelemetry func(protocol.State)

	mu        sync.Mutex
	items     []item
	telemetry *protocol.State // newest state not yet delivered; older ones are dropped
	closed    bool
	signal    chan struct{} // cap 1: something was posted or closed
}

// item is one Result or StateChange to deliver.
type item struct {
	result *Result
	state  *StateChange
}

func newDispatcher(cfg *Config) *dispatcher {
	return &dispatcher{
		onResult:    cfg.OnResult,
		onState:     cfg.OnState,
		onTelemetry: cfg.OnTelemetry,
		signal:      make(chan struct{}, 1),
	}
}

func (d *dispatcher) post(it item) {
	d.mu.Lock()
	if !d.closed {
		d.items = append(d.items, it)
	}
	d.mu.Unlock()
	d.wake()
}

func (d *dispatcher) result(r Result)     { d.post(item{result: &r}) }
func (d *dispatcher) state(s StateChange) { d.post(item{state: &s}) }

func (d *dispatcher) postTelemetry(s protocol.State) {
	if d.onTelemetry == nil {
		return
	}
	d.mu.Lock()
	if !d.closed {
		d.telemetry = &s
	}
	d.mu.Unlock()
	d.wake()
}

func (d *dispatcher) wake() {
	select {
	case d.signal <- struct{}{}:
	default:
	}
}

// close stops accepting posts; loop returns once everything posted before
// is delivered.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.wake()
}

func (d *dispatcher) loop() {
	for {
		d.mu.Lock()
		items, tel, closed := d.items, d.telemetry, d.closed
		d.items, d.telemetry = nil, nil
		d.mu.Unlock()
		for _, it := range items {
			switch {
			case it.result != nil && d.onResult != nil:
				d.onResult(*it.result)
			case it.state != nil && d.onState != nil:
				d.onState(*it.state)
			}
		}
		if tel != nil {
			d.onTelemetry(*tel)
		}
		if closed && len(items) == 0 && tel == nil {
			return
		}
		if len(items) == 0 && tel == nil {
			<-d.signal
		}
	}
}
