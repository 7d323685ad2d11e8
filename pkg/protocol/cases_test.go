package protocol

// decodeCases is the one table of request lines. It feeds the decode test,
// the encode round-trip test, the benchmarks and the fuzz seed corpus.
var decodeCases = []struct {
	name string
	line string
	want Request // compared when code == ""
	code Code    // expected error code; "" means the line must decode
	id   ID      // ID expected back even when decoding fails
}{
	// Seed and commands.
	{name: "seed", line: `{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}`,
		want: Request{Type: TypeCommand, X: f64(120), Y: f64(35.5), Z: f64(210), Gripper: grip(0)}},
	{name: "command no gripper", line: `{"type":"command","x":0,"y":-1.5,"z":3e2}`,
		want: Request{Type: TypeCommand, X: f64(0), Y: f64(-1.5), Z: f64(300)}},
	{name: "command all fields", line: `{"type":"command","id":7,"x":150,"y":-20,"z":180,"gripper":0.5,"ttl_ms":200}`,
		want: Request{Type: TypeCommand, ID: "7", X: f64(150), Y: f64(-20), Z: f64(180), Gripper: grip(0.5), TTLms: i64(200)}},
	{name: "gripper close", line: `{"type":"command","x":1,"y":2,"z":3,"gripper":"close"}`,
		want: Request{Type: TypeCommand, X: f64(1), Y: f64(2), Z: f64(3), Gripper: grip(1)}},
	{name: "gripper closed", line: `{"type":"command","x":1,"y":2,"z":3,"gripper":"closed"}`,
		want: Request{Type: TypeCommand, X: f64(1), Y: f64(2), Z: f64(3), Gripper: grip(1)}},
	{name: "gripper one", line: `{"type":"command","x":1,"y":2,"z":3,"gripper":1}`,
		want: Request{Type: TypeCommand, X: f64(1), Y: f64(2), Z: f64(3), Gripper: grip(1)}},
	{name: "gripper null is absent", line: `{"type":"command","x":1,"y":2,"z":3,"gripper":null}`,
		want: Request{Type: TypeCommand, X: f64(1), Y: f64(2), Z: f64(3)}},
	{name: "gripper escaped open", line: `{"type":"command","x":1,"y":2,"z":3,"gripper":"\u006fpen"}`,
		want: Request{Type: TypeCommand, X: f64(1), Y: f64(2), Z: f64(3), Gripper: grip(0)}},
	{name: "gripper negative", line: `{"type":"command","id":"g","x":1,"y":2,"z":3,"gripper":-0.1}`, code: CodeOutOfRange, id: `"g"`},
	{name: "gripper above one", line: `{"type":"command","x":1,"y":2,"z":3,"gripper":1.5}`, code: CodeOutOfRange},
	{name: "gripper unknown word", line: `{"type":"command","x":1,"y":2,"z":3,"gripper":"half"}`, code: CodeBadType},
	{name: "gripper bool", line: `{"type":"command","x":1,"y":2,"z":3,"gripper":true}`, code: CodeBadType},
	{name: "command missing z", line: `{"type":"command","id":9,"x":120,"y":35.5}`, code: CodeMissingField, id: "9"},
	{name: "command missing all", line: `{"type":"command"}`, code: CodeMissingField},
	{name: "gripper only keeps the target", line: `{"type":"command","id":3,"gripper":"close","ttl_ms":1000}`,
		want: Request{Type: TypeCommand, ID: "3", Gripper: grip(1), TTLms: i64(1000)}},
	{name: "gripper with part of a position", line: `{"type":"command","x":1,"gripper":1}`, code: CodeMissingField},
	{name: "subscribe at a rate", line: `{"type":"subscribe","id":6,"rate_hz":100}`, want: Request{Type: TypeSubscribe, ID: "6", RateHz: f64(100)}},
	{name: "subscribe rate zero", line: `{"type":"subscribe","rate_hz":0}`, code: CodeOutOfRange},
	{name: "subscribe rate text", line: `{"type":"subscribe","rate_hz":"fast"}`, code: CodeBadType},
	{name: "home with ttl", line: `{"type":"home","id":4,"ttl_ms":1000}`, want: Request{Type: TypeHome, ID: "4", TTLms: i64(1000)}},
	{name: "command x null", line: `{"type":"command","x":null,"y":1,"z":2}`, code: CodeMissingField},
	{name: "x string", line: `{"type":"command","id":"a","x":"120","y":35.5,"z":210}`, code: CodeBadType, id: `"a"`},
	{name: "y object", line: `{"type":"command","x":1,"y":{},"z":2}`, code: CodeBadType},
	{name: "z array", line: `{"type":"command","x":1,"y":2,"z":[3]}`, code: CodeBadType},
	{name: "x huge", line: `{"type":"command","id":4,"x":1e999,"y":0,"z":0}`, code: CodeOutOfRange, id: "4"},
	{name: "y huge negative", line: `{"type":"command","x":0,"y":-1e999,"z":0}`, code: CodeOutOfRange},
	{name: "z tiny underflows to zero", line: `{"type":"command","x":0,"y":0,"z":1e-999}`,
		want: Request{Type: TypeCommand, X: f64(0), Y: f64(0), Z: f64(0)}},
	{name: "x max float", line: `{"type":"command","x":1.7976931348623157e308,"y":0,"z":0}`,
		want: Request{Type: TypeCommand, X: f64(1.7976931348623157e308), Y: f64(0), Z: f64(0)}},
	{name: "ttl exponent", line: `{"type":"command","x":1,"y":2,"z":3,"ttl_ms":1e3}`,
		want: Request{Type: TypeCommand, X: f64(1), Y: f64(2), Z: f64(3), TTLms: i64(1000)}},
	{name: "ttl zero", line: `{"type":"command","x":1,"y":2,"z":3,"ttl_ms":0}`, code: CodeOutOfRange},
	{name: "ttl negative", line: `{"type":"command","x":1,"y":2,"z":3,"ttl_ms":-5}`, code: CodeOutOfRange},
	{name: "ttl fraction", line: `{"type":"command","x":1,"y":2,"z":3,"ttl_ms":1.5}`, code: CodeBadType},
	{name: "ttl string", line: `{"type":"command","x":1,"y":2,"z":3,"ttl_ms":"100"}`, code: CodeBadType},
	{name: "ttl beyond int64", line: `{"type":"command","x":1,"y":2,"z":3,"ttl_ms":1e30}`, code: CodeOutOfRange},

	// IDs.
	{name: "id string", line: `{"type":"ping","id":"abc"}`, want: Request{Type: TypePing, ID: `"abc"`}},
	{name: "id negative", line: `{"type":"ping","id":-3}`, want: Request{Type: TypePing, ID: "-3"}},
	{name: "id escapes kept verbatim", line: `{"type":"ping","id":"a\u0062<&>"}`, want: Request{Type: TypePing, ID: `"a\u0062<&>"`}},
	{name: "id big integer", line: `{"type":"ping","id":123456789012345678901234567890}`, want: Request{Type: TypePing, ID: "123456789012345678901234567890"}},
	{name: "id null", line: `{"type":"ping","id":null}`, want: Request{Type: TypePing}},
	{name: "id float", line: `{"type":"ping","id":2.5}`, code: CodeBadType},
	{name: "id exponent", line: `{"type":"ping","id":1e3}`, code: CodeBadType},
	{name: "id bool", line: `{"type":"ping","id":true}`, code: CodeBadType},
	{name: "id object", line: `{"type":"ping","id":{"n":1}}`, code: CodeBadType},
	{name: "id kept on unknown type", line: `{"type":"dance","id":12}`, code: CodeInvalidCommand, id: "12"},

	// Hello.
	{name: "hello full", line: `{"type":"hello","id":1,"version":1,"client":"aether_bridge","role":"control","token":"s3cret"}`,
		want: Request{Type: TypeHello, ID: "1", Version: intp(1), Client: "aether_bridge", Role: RoleControl, Token: "s3cret"}},
	{name: "hello monitor", line: `{"type":"hello","version":1.0,"role":"monitor","client":"<dash> & \"co\""}`,
		want: Request{Type: TypeHello, Version: intp(1), Role: RoleMonitor, Client: `<dash> & "co"`}},
	{name: "hello client invalid UTF-8", line: "{\"type\":\"hello\",\"version\":1,\"client\":\"a\xffb\"}",
		want: Request{Type: TypeHello, Version: intp(1), Client: "a\uFFFDb"}},
	{name: "hello id invalid UTF-8", line: "{\"type\":\"hello\",\"version\":1,\"id\":\"a\xffb\"}", code: CodeBadType},
	{name: "hello resume", line: `{"type":"hello","id":2,"version":1,"client":"aether_bridge","resume":true}`,
		want: Request{Type: TypeHello, ID: "2", Version: intp(1), Client: "aether_bridge", Resume: true}},
	{name: "hello resume not a bool", line: `{"type":"hello","version":1,"resume":"yes"}`, code: CodeBadType},
	{name: "hello missing version", line: `{"type":"hello","client":"x"}`, code: CodeMissingField},
	{name: "hello version 2", line: `{"type":"hello","id":"h","version":2}`, code: CodeUnsupportedVersion, id: `"h"`},
	{name: "hello version wraps int32", line: `{"type":"hello","version":4294967297}`, code: CodeUnsupportedVersion},
	{name: "hello version string", line: `{"type":"hello","version":"1"}`, code: CodeBadType},
	{name: "hello role admin", line: `{"type":"hello","version":1,"role":"admin"}`, code: CodeInvalidCommand},
	{name: "hello role empty", line: `{"type":"hello","version":1,"role":""}`, code: CodeInvalidCommand},
	{name: "hello role number", line: `{"type":"hello","version":1,"role":5}`, code: CodeBadType},
	{name: "hello client number", line: `{"type":"hello","version":1,"client":5}`, code: CodeBadType},
	{name: "hello token array", line: `{"type":"hello","version":1,"token":["x"]}`, code: CodeBadType},

	// Simple types.
	{name: "ping", line: `{"type":"ping"}`, want: Request{Type: TypePing}},
	{name: "stop", line: `{"type":"stop","id":"estop-1"}`, want: Request{Type: TypeStop, ID: `"estop-1"`}},
	{name: "home", line: `{"type":"home"}`, want: Request{Type: TypeHome}},
	{name: "reset", line: `{"type":"reset","id":3}`, want: Request{Type: TypeReset, ID: "3"}},
	{name: "status", line: `{"type":"status","id":5}`, want: Request{Type: TypeStatus, ID: "5"}},
	{name: "subscribe", line: `{"type":"subscribe"}`, want: Request{Type: TypeSubscribe}},
	{name: "unknown fields ignored", line: `{"type":"ping","foo":{"bar":[1,2]},"zz":null}`, want: Request{Type: TypePing}},
	{name: "surrounding spaces", line: " \t{ \"type\" : \"ping\" } ", want: Request{Type: TypePing}},
	{name: "duplicate key last wins", line: `{"type":"dance","type":"stop"}`, want: Request{Type: TypeStop}},
	{name: "field names are case sensitive", line: `{"TYPE":"ping"}`, code: CodeInvalidCommand},

	// Type errors.
	{name: "missing type", line: `{"x":1,"y":2,"z":3}`, code: CodeInvalidCommand},
	{name: "type null", line: `{"type":null}`, code: CodeInvalidCommand},
	{name: "type unknown", line: `{"type":"dance"}`, code: CodeInvalidCommand},
	{name: "type reply only", line: `{"type":"pong"}`, code: CodeInvalidCommand},
	{name: "type number", line: `{"type":5}`, code: CodeBadType},

	// Not JSON objects.
	{name: "empty", line: ``, code: CodeInvalidJSON},
	{name: "truncated", line: `{"type":"command","x":120,`, code: CodeInvalidJSON},
	{name: "not json", line: `move 120 35 210`, code: CodeInvalidJSON},
	{name: "trailing garbage", line: `{"type":"ping"}x`, code: CodeInvalidJSON},
	{name: "two objects", line: `{"type":"ping"}{"type":"stop"}`, code: CodeInvalidJSON},
	{name: "array", line: `[1,2,3]`, code: CodeInvalidJSON},
	{name: "string", line: `"ping"`, code: CodeInvalidJSON},
	{name: "number", line: `42`, code: CodeInvalidJSON},
	{name: "null", line: `null`, code: CodeInvalidJSON},
	{name: "single quotes", line: `{'type':'ping'}`, code: CodeInvalidJSON},
	{name: "NaN literal", line: `{"type":"command","x":NaN,"y":0,"z":0}`, code: CodeInvalidJSON},
}

func f64(v float64) *float64  { return &v }
func grip(v Gripper) *Gripper { return &v }
func i64(v int64) *int64      { return &v }
func intp(v int) *int         { return &v }
