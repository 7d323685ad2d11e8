package controller

import (
	"sync"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// dedupeSize is how many (client, id) replies are remembered.
const dedupeSize = 1024

// dedupeKey identifies a request across reconnects: the hello client name
// and the request id token.
type dedupeKey struct {
	client string
	id     protocol.ID
}

type dedupeEntry struct {
	fp  string  // fingerprint of the request
	res *result // its reply, possibly not known yet
	seq uint64
}

type ringSlot struct {
	key dedupeKey
	seq uint64
}

// dedupeCache remembers the replies of the last size motion requests, so a
// client that resends a request after a reconnect gets the first reply
// instead of a second execution. Safe for concurrent use.
type dedupeCache struct {
	mu   sync.Mutex
	m    map[dedupeKey]dedupeEntry
	ring []ringSlot // insertion order, for eviction
	next int
	seq  uint64
}

func newDedupeCache(size int) *dedupeCache {
	return &dedupeCache{m: make(map[dedupeKey]dedupeEntry, size), ring: make([]ringSlot, size)}
}

// claim records res as the reply for key unless key is known: then it
// returns the known reply, or mismatch when the known request differs.
func (d *dedupeCache) claim(key dedupeKey, fp string, res *result) (prev *result, mismatch bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.m[key]; ok {
		if e.fp != fp {
			return nil, true
		}
		return e.res, false
	}
	old := d.ring[d.next]
	if e, ok := d.m[old.key]; ok && e.seq == old.seq {
		delete(d.m, old.key)
	}
	d.seq++
	d.m[key] = dedupeEntry{fp: fp, res: res, seq: d.seq}
	d.ring[d.next] = ringSlot{key: key, seq: d.seq}
	d.next = (d.next + 1) % len(d.ring)
	return nil, false
}

// forget drops key if it still maps to res (the request was not executed,
// so a retry should run).
func (d *dedupeCache) forget(key dedupeKey, res *result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.m[key]; ok && e.res == res {
		delete(d.m, key)
	}
}

func (d *dedupeCache) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.m)
}
