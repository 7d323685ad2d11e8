package bridge

// DiscreteInputDepth is the reliable QoS depth of the bridge's
// discrete-command inputs (/aether/gripper, /aether/estop), in messages: a
// second of a 1 kHz stream, so a burst survives the bridge being off-CPU
// that long. The link's command queue (link.queue_size) defaults to the same
// size, so everything one wake-up of the node's wait loop takes from those
// readers fits in the queue; each command still expires after
// link.max_command_age_ms, so a deep queue never runs anything late.
const DiscreteInputDepth = 1000
