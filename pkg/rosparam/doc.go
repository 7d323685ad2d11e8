// Package rosparam is ROS 2 parameter handling in pure Go, for the rclgo
// node (pkg/node) to use without cgo in its logic:
//
//   - ParseArgs splits a command line like rcl: -p/--param overrides,
//     --params-file, -r/--remap rules (including __node and __ns), the other
//     rcl flags kept verbatim for rcl, and the program's own arguments.
//   - ParseValue and ParseParamsFile read values the way rcl's YAML parser
//     types them (true → bool, 1 → integer, 1.5 → double, "1" → string,
//     [1, 2] → integer array), with node keys such as /**, /**/name and
//     /ns/name and nested parameter maps flattened with dots.
//   - Args.Overrides orders everything for one node: wildcard file sections,
//     then exact ones, then -p, later winning.
//   - Set holds declared parameters (Descriptor: type, range, read-only)
//     and enforces them on Set and Apply, so the node can serve the
//     rcl_interfaces list/get/describe/set services from it. Value and Type
//     mirror rcl_interfaces/ParameterValue and its type numbers.
//
// A typical start-up:
//
//	args, err := rosparam.ParseArgs(os.Args[1:])
//	set := rosparam.NewSet()
//	set.Declare(rosparam.Descriptor{Name: "link.port", Type: rosparam.TypeInteger, Default: rosparam.NewInteger(5555)})
//	overrides, err := args.Overrides(args.FQN("aether_bridge", "/"))
//	ignored, err := set.Apply(overrides) // ignored: undeclared names, to log
//	port, err := set.Int("link.port")
package rosparam
