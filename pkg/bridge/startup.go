package bridge

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// StartupError is a start-up failure of the bridge: bad arguments, bad
// parameters, a ROS initialisation failure. Its message is what the user
// sees, on one line.
type StartupError struct{ msg string }

// Error returns the one-line message.
func (e *StartupError) Error() string { return e.msg }

// rclReason finds rcl's reason in an rclgo argument error: the sentence
// after "rcl_parse_arguments", up to rcl's first source location.
var rclReason = regexp.MustCompile(`rcl_parse_arguments ([^\n]*?)(?:, at /|\n|$)`)

// rclQuoted is the argument rcl quotes in "Couldn't parse remap rule: '-r foo'".
var rclQuoted = regexp.MustCompile(`: '([^']*)'`)

// rclArgHints: what each kind of rcl argument should look like, keyed by a
// phrase of rcl's message.
var rclArgHints = []struct{ phrase, hint string }{
	{"remap rule", "write -r FROM:=TO, e.g. -r __ns:=/arm2"},
	{"parameter override", "write -p NAME:=VALUE, e.g. -p controller_port:=5000"},
	{"params file", "write --params-file FILE"},
	{"log level", "write --log-level LEVEL (debug, info, warn, error, fatal) or --log-level NAME:=LEVEL"},
	{"enclave", "write --enclave /PATH"},
}

// RclArgsError turns an argument rejection from rcl (rclgo.ParseArgs) into
// a clean error naming the argument and what to write. rcl's wording
// ("error not set", lexer states), its source locations and rclgo's
// goroutine trace are left out.
func RclArgsError(rclText string, args []string) error {
	reason := ""
	if m := rclReason.FindStringSubmatch(rclText); m != nil {
		reason = m[1]
	}
	arg := ""
	if q := rclQuoted.FindStringSubmatch(reason); q != nil {
		arg = q[1]
	} else if strings.Contains(reason, "trailing") {
		for _, f := range strings.Fields(reason) {
			if strings.HasPrefix(f, "-") {
				arg = strings.Trim(f, "'.,")
				break
			}
		}
		if arg != "" {
			arg += " (no value after it)"
		}
	}
	if arg == "" {
		ros := args
		for i, a := range args {
			if a == "--ros-args" {
				ros = args[i+1:]
				break
			}
		}
		arg = strings.Join(ros, " ")
	}
	return &StartupError{msg: fmt.Sprintf("ROS argument %q is not valid: %s", arg, rclArgHint(reason, arg))}
}

// rclArgHint is the hint for the kind of argument rcl rejected: from rcl's
// reason, else from the argument's flag.
func rclArgHint(reason, arg string) string {
	flag := ""
	if f := strings.Fields(arg); len(f) > 0 {
		flag = f[0]
	}
	for _, h := range rclArgHints {
		if strings.Contains(reason, h.phrase) || flag == strings.Fields(h.hint)[1] {
			return h.hint
		}
	}
	return "write --ros-args -p NAME:=VALUE --params-file FILE -r FROM:=TO (see aether_bridge --help)"
}

// CleanError is err's message as one printable line: NUL bytes and other
// control characters dropped, a Go goroutine trace cut off, the lines of
// joined errors separated by "; ".
func CleanError(err error) string {
	text := err.Error()
	var se *StartupError
	if errors.As(err, &se) {
		text = se.msg
	}
	if i := strings.Index(text, "\ngoroutine "); i >= 0 {
		text = text[:i]
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\t' || r == 0x7f {
				return -1
			}
			return r
		}, l)
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}
