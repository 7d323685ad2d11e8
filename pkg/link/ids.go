package link

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// bootPrefix makes ids unique across bridge restarts: the controller's
// duplicate-id cache outlives our process, so a restarted bridge must not
// reuse an id it executed before.
var bootPrefix = newBootPrefix()

// idSeq is process-wide so two Links in one process never share an id.
var idSeq atomic.Uint64

func newBootPrefix() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail (it aborts the process instead)
	return hex.EncodeToString(b[:])
}

// nextID returns a fresh string id like "3fa2c1-17" and its sequence number.
func nextID() (protocol.ID, uint64) {
	n := idSeq.Add(1)
	return protocol.StringID(bootPrefix + "-" + strconv.FormatUint(n, 10)), n
}
