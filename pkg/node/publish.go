package node

/*
#include <stdlib.h>
#include <malloc.h>
static size_t aether_heap_in_use(void) { return mallinfo2().uordblks; }
*/
import "C"

import (
	"unsafe"

	"github.com/tiiuae/rclgo/pkg/rclgo"
	"github.com/tiiuae/rclgo/pkg/rclgo/types"

	aether "github.com/aether-lab/aether-bridge/msgs/gen/aether_msgs/msg"
)

// zeroedMemory works around a per-message leak in rclgo (56b24e11219b) on
// publish. Publisher.Publish asks the type support for message memory
// (PrepareMemory, the C __create(), which gives every string field a small
// malloc'd buffer) and then fills it with AsCStruct, whose
// primitives.StringAsCStruct mallocs a new buffer for each string without
// freeing the one __create() made. Every string field thus leaked one malloc
// chunk per published message: ~160 bytes per CommandAck, ~1 KB per
// DiagnosticArray (measured by make bench and by TestPublishDoesNotLeak).
//
// Handing Publish zeroed memory instead lets AsCStruct initialise every
// field itself, and ReleaseMemory (the C __destroy()) frees all of it as
// before. size is the C struct's size, unsafe.Sizeof of the generated C type.
type zeroedMemory struct {
	types.MessageTypeSupport
	size uintptr
}

// PrepareMemory returns zeroed memory for one message.
func (z zeroedMemory) PrepareMemory() unsafe.Pointer { return C.calloc(1, C.size_t(z.size)) }

// newPublisher creates a publisher that does not leak (see zeroedMemory).
func newPublisher(node *rclgo.Node, topic string, ts types.MessageTypeSupport, cSize uintptr,
	opts *rclgo.PublisherOptions) (*rclgo.Publisher, error) {
	return node.NewPublisher(topic, zeroedMemory{MessageTypeSupport: ts, size: cSize}, opts)
}

// Sizes of the C message structs we publish.
var sizeofCommandAck = unsafe.Sizeof(aether.CCommandAck{})

// cHeapInUse is the C heap's bytes in use (glibc), for the leak test.
func cHeapInUse() uint64 { return uint64(C.aether_heap_in_use()) }
