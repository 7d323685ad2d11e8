package bridge

// paramOfLinkField names the parameter that sets each link.Config field,
// so a link.Config.Validate error names what the user set (fielderr.Rename).
var paramOfLinkField = map[string]string{
	"Addr":              "controller_host/controller_port",
	"AckTimeout":        "link.ack_timeout_ms",
	"HeartbeatInterval": "link.heartbeat_ms",
	"DialTimeout":       "link.dial_timeout_ms",
	"MaxTargetAge":      "link.max_target_age_ms",
	"MaxCommandAge":     "link.max_command_age_ms",
	"BackoffInitial":    "link.backoff_initial_ms",
	"BackoffMax":        "link.backoff_max_ms",
	"QueueSize":         "link.queue_size",
	"TLSFingerprint":    "link.tls_fingerprint",
}

// paramOfHandField names the parameter that sets each hand.Mapping field.
var paramOfHandField = map[string]string{
	"Scale":              "hand.scale",
	"Offset":             "hand.offset",
	"AxisMap":            "hand.axis_map",
	"MinConfidence":      "hand.min_confidence",
	"Filter.MinCutoffHz": "hand.filter.min_cutoff_hz",
	"Filter.Beta":        "hand.filter.beta",
	"Filter.DCutoffHz":   "hand.filter.d_cutoff_hz",
	"Pinch.CloseAbove":   "hand.pinch.close_above",
	"Pinch.OpenBelow":    "hand.pinch.open_below",
	"Clutch":             "hand.clutch",
	"Mode":               "hand.mode",
	"LossTimeout":        "hand.loss_timeout_ms",
}
