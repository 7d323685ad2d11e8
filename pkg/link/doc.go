// Package link is the bridge's TCP client to aether_controller.
//
// A Link owns one connection at a time. It connects, says hello (protocol
// v1), and then streams three kinds of traffic with fixed priorities:
//
//   - Stop jumps ahead of everything, ignores the pipelining window, and is
//     re-sent (same id) after every connection loss until it is answered.
//   - Discrete commands (Send: gripper changes, home, reset, status) go
//     through a FIFO; a full FIFO is ErrQueueFull. Command, home and reset
//     expire Config.MaxCommandAge after Send (ErrCommandExpired): never
//     written or re-sent later, and written with ttl_ms = the time left, so
//     the controller refuses them too if they arrive late.
//   - Targets (SetTarget) go through a latest-wins slot: a newer target
//     replaces an unsent older one, and a target older than
//     Config.MaxTargetAge is dropped, never sent or replayed.
//
// Every request carries an id unique to this process (a random boot prefix
// plus a sequence number), so after a reconnect an unanswered request is
// re-sent with the same id and the controller's duplicate-id cache makes it
// execute at most once.
//
// Outcomes: every id returned by SetTarget, Send, Stop (and every heartbeat
// ping) gets exactly one final Result through Config.OnResult:
//
//   - the controller's reply (Err == nil; Response.Status tells ok/error);
//   - or a link error, when there will be no reply: ErrReplaced (a newer
//     target took its place), ErrTargetExpired (too old to send),
//     ErrConnLost or ErrAckTimeout (legacy mode or ping: not re-sent), or
//     ErrClosed (Close was called first).
//
// An ack timeout always drops the connection. In v1 mode the timed-out
// request stays pending and is re-sent with the same id on the next
// connection, so the caller sees only the final reply; the timeout shows in
// Metrics.AckTimeouts and in the StateChange reason. It becomes the final
// Result (wrapping ErrAckTimeout) only when the request is given up: a
// ping, anything in legacy mode except stop, or a target that grew older
// than MaxTargetAge meanwhile.
//
// A busy reply within Config.BusyGrace of hello is retried (same id)
// rather than final: the controller may still hold the control lease for
// our previous connection. Stop is never deduplicated by the controller,
// but a repeated stop is harmless.
//
// Control lease: when the last state the controller pushed named this
// client as the lease holder, the next hello says "resume", so a reconnect
// (a drop, or Reconnect) never leaves an idle arm without its holder.
//
// Legacy mode: if the server answers hello with an error that has no code
// (a plain seed-protocol server replies "Invalid command"), the link talks
// the lab's seed protocol on that connection: no hello, ping or ids,
// "gripper":"open"/"close", one request in flight, replies matched by order.
// A seed server needs x, y, z and gripper in every command: what a command
// lacks is filled in from what the link last sent on that connection since
// the last stop, home or reset (a gripper change before a target is
// ErrNeedsPosition: after a reconnect the server may have restarted with
// its arm elsewhere).
package link
