package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestDecodeRequest(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeRequest([]byte(tc.line))
			if tc.code != "" {
				if err == nil {
					t.Fatalf("DecodeRequest(%s) = %+v, want error %s", tc.line, got, tc.code)
				}
				if err.Code != tc.code {
					t.Fatalf("DecodeRequest(%s) code = %s (%s), want %s", tc.line, err.Code, err.Message, tc.code)
				}
				if err.Message == "" {
					t.Fatal("error has no message")
				}
				if got.ID != tc.id {
					t.Fatalf("ID on error = %q, want %q", got.ID, tc.id)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeRequest(%s): %v", tc.line, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("DecodeRequest(%s)\n got %s\nwant %s", tc.line, dump(got), dump(tc.want))
			}
		})
	}
}

func TestEncodeRequestRoundTrip(t *testing.T) {
	for _, tc := range decodeCases {
		if tc.code != "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			var w countingWriter
			if err := EncodeRequest(&w, &tc.want); err != nil {
				t.Fatal(err)
			}
			line := w.line(t)
			got, derr := DecodeRequest(line)
			if derr != nil {
				t.Fatalf("decode of %s: %v", line, derr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("round trip via %s\n got %s\nwant %s", line, dump(got), dump(tc.want))
			}
		})
	}
}

func TestDecodeRequestMessages(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`{"type":"command","x":1,"y":2}`, `missing field "z": a command needs x, y and z in millimetres (or none of them, with "gripper", to change only the gripper)`},
		{`{"type":"command","y":2}`, `missing fields "x", "z": a command needs x, y and z in millimetres (or none of them, with "gripper", to change only the gripper)`},
		{`{"type":"dance"}`, `unknown type "dance": use one of command, hello, ping, stop, home, reset, status, subscribe, torque`},
		{`{"type":"command","x":true,"y":2,"z":3}`, `field "x" must be a number of millimetres, got a boolean`},
		{`{"type":"ping","id":[1]}`, `field "id" must be a JSON string or integer, e.g. "id":7 or "id":"abc"`},
		{`[]`, `a request must be a JSON object like {"type":"ping"}, got an array`},
	} {
		_, err := DecodeRequest([]byte(tc.line))
		if err == nil || err.Message != tc.want {
			t.Errorf("DecodeRequest(%s) = %v, want message %q", tc.line, err, tc.want)
		}
	}
}

func TestEncodeResponseSeedBytes(t *testing.T) {
	var w countingWriter
	r := OK("", MessageCommandReceived)
	if err := EncodeResponse(&w, &r); err != nil {
		t.Fatal(err)
	}
	if got, want := w.buf.String(), "{\"status\":\"ok\",\"message\":\"Command received\"}\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if w.writes != 1 {
		t.Fatalf("%d writes, want 1", w.writes)
	}
}

func TestEncodeResponseFieldOrderAndNoHTMLEscape(t *testing.T) {
	r := Fail(`"q-1"`, CodeUnreachable, "target <%d> & beyond", 900)
	r.Type = TypeStatus
	r.Server = &ServerInfo{Protocol: Version, Name: "n", Arm: "a", Joints: []JointInfo{{Name: "base", MinDeg: -90, MaxDeg: 90}}, ArmHash: "h", Capabilities: []string{"subscribe"}}
	r.State = &State{Joints: []JointState{{Name: "base", Deg: 12.5}}, Gripper: 1, Pose: Point{1, 2, 3}, Moving: true, LastID: "7", Watchdog: WatchdogHold, Control: "c", TimeMS: 5}
	r.Clamped = &Point{X: 212.5, Z: -0.5}
	var w countingWriter
	if err := EncodeResponse(&w, &r); err != nil {
		t.Fatal(err)
	}
	want := `{"status":"error","message":"target <900> & beyond","type":"status","id":"q-1","code":"unreachable",` +
		`"server":{"protocol":1,"name":"n","arm":"a","joints":[{"name":"base","min_deg":-90,"max_deg":90}],"arm_hash":"h","capabilities":["subscribe"]},` +
		`"state":{"joints":[{"name":"base","deg":12.5}],"gripper":1,"pose":{"x":1,"y":2,"z":3},"moving":true,"estopped":false,"last_id":7,"watchdog":"hold","control":"c","time_ms":5},` +
		`"clamped":{"x":212.5,"y":0,"z":-0.5}}` + "\n"
	if got := w.buf.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	got, err := DecodeResponse(w.line(t))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("response round trip\n got %+v\nwant %+v", got, r)
	}
}

func TestEncodeSeedCommand(t *testing.T) {
	req := Request{Type: TypeCommand, X: f64(120), Y: f64(35.5), Z: f64(210), Gripper: grip(GripperOpen)}
	var w countingWriter
	if err := EncodeRequest(&w, &req); err != nil {
		t.Fatal(err)
	}
	if got, want := w.buf.String(), "{\"type\":\"command\",\"x\":120,\"y\":35.5,\"z\":210,\"gripper\":0}\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	seed, err := DecodeRequest([]byte(`{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}`))
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeRequest(w.line(t))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seed, back) || !reflect.DeepEqual(back, req) {
		t.Fatalf("seed %s, encoded %s, want %s", dump(seed), dump(back), dump(req))
	}
}

func TestEncodeErrorsWriteNothing(t *testing.T) {
	for name, r := range map[string]Request{
		"NaN x":       {Type: TypeCommand, X: f64(math.NaN()), Y: f64(0), Z: f64(0)},
		"Inf gripper": {Type: TypeCommand, X: f64(0), Y: f64(0), Z: f64(0), Gripper: grip(Gripper(math.Inf(1)))},
		"raw id":      {Type: TypePing, ID: "abc"},
	} {
		var w countingWriter
		if err := EncodeRequest(&w, &r); err == nil {
			t.Errorf("%s: EncodeRequest succeeded: %q", name, w.buf.String())
		}
		if w.writes != 0 {
			t.Errorf("%s: %d writes after an encode error", name, w.writes)
		}
	}
}

func TestEncodeWriteError(t *testing.T) {
	boom := errors.New("boom")
	r := OK("1", "x")
	if err := EncodeResponse(failWriter{boom}, &r); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}

func TestDecodeResponse(t *testing.T) {
	r, err := DecodeResponse([]byte(`{"status":"error","message":"m","id":"x","code":"busy","extra":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := Fail(`"x"`, CodeBusy, "m"); !reflect.DeepEqual(r, want) {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	for _, bad := range []string{``, `{`, `[]`, `{"message":"no status"}`, `{"status":"maybe","message":"m"}`, `{"status":"ok","id":1.5}`, `{"status":"ok","state":{"last_id":true}}`} {
		if _, err := DecodeResponse([]byte(bad)); err == nil {
			t.Errorf("DecodeResponse(%s) succeeded", bad)
		}
	}
}

func TestIDHelpers(t *testing.T) {
	if got := NumericID(42); got != "42" {
		t.Errorf("NumericID(42) = %q", got)
	}
	if got := StringID(`a"b`); got != `"a\"b"` {
		t.Errorf("StringID = %q", got)
	}
	if !ID("").IsZero() || NumericID(0).IsZero() {
		t.Error("IsZero wrong")
	}
	for _, id := range []ID{NumericID(math.MaxUint64), StringID("x<y>"), StringID("")} {
		r := OK(id, "m")
		var w countingWriter
		if err := EncodeResponse(&w, &r); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		back, err := DecodeResponse(w.line(t))
		if err != nil || back.ID != id {
			t.Errorf("id %s came back as %s (%v)", id, back.ID, err)
		}
	}
	if b, err := ID("").MarshalJSON(); err != nil || string(b) != "null" {
		t.Errorf("empty ID marshals to %s, %v", b, err)
	}
	var id ID = "7"
	if err := id.UnmarshalJSON([]byte("null")); err != nil || !id.IsZero() {
		t.Errorf("null id: %q, %v", id, err)
	}
	if err := id.UnmarshalJSON([]byte("\"\xff\"")); !errors.Is(err, &Error{Code: CodeBadType}) {
		t.Errorf("invalid UTF-8 id: %v", err)
	}
}

// StringID must give a JSON string token for any string, not Go's quoting
// (\x01, \a are not JSON escapes), or the reply carrying it cannot be encoded.
func TestStringIDIsJSON(t *testing.T) {
	for _, s := range []string{"plain-7", `a"b\c`, "ctl\x01\a\t", "caf\u00e9 \u2028", "\U0001D000", "bad \xff utf-8", "x<y>&"} {
		id := StringID(s)
		var back string
		if err := json.Unmarshal([]byte(id), &back); err != nil {
			t.Errorf("StringID(%q) = %s: not a JSON string: %v", s, id, err)
			continue
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want {
			t.Errorf("StringID(%q) = %s decodes to %q, want %q", s, id, back, want)
		}
		r := OK(id, "m")
		var w countingWriter
		if err := EncodeResponse(&w, &r); err != nil {
			t.Errorf("StringID(%q): encode reply: %v", s, err)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	e := &Error{Code: CodeBusy, Message: "held by x"}
	if e.Error() != "busy: held by x" {
		t.Errorf("Error() = %q", e.Error())
	}
	if !errors.Is(e, &Error{Code: CodeBusy}) || errors.Is(e, &Error{Code: CodeEstop}) || errors.Is(e, errors.New("busy")) {
		t.Error("Is matches by code only")
	}
	if got, want := e.Response("3"), (Response{Status: StatusError, Message: "held by x", ID: "3", Code: CodeBusy}); !reflect.DeepEqual(got, want) {
		t.Errorf("Response = %+v", got)
	}
	if got := Fail("", CodeInternal, "servo %d: %s", 2, "nack"); got.Message != "servo 2: nack" || got.Status != StatusError || got.Code != CodeInternal {
		t.Errorf("Fail = %+v", got)
	}
	if !TypeSubscribe.Valid() || TypePong.Valid() || TypeEvent.Valid() || !RoleMonitor.Valid() || Role("").Valid() {
		t.Error("Valid wrong")
	}
}

// countingWriter records the bytes and the number of Write calls.
type countingWriter struct {
	buf    bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.buf.Write(p)
}

// line checks that exactly one '\n'-terminated line came in one Write and
// returns it without the '\n'.
func (w *countingWriter) line(t *testing.T) []byte {
	t.Helper()
	b := w.buf.Bytes()
	if w.writes != 1 || len(b) == 0 || b[len(b)-1] != '\n' || bytes.Count(b, []byte{'\n'}) != 1 {
		t.Fatalf("want one line in one write, got %d writes: %q", w.writes, b)
	}
	return b[:len(b)-1]
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func dump(r Request) string {
	var b strings.Builder
	b.WriteString(string(r.Type) + " id=" + string(r.ID))
	for _, f := range []struct {
		n string
		v *float64
	}{{"x", r.X}, {"y", r.Y}, {"z", r.Z}, {"gripper", (*float64)(r.Gripper)}} {
		if f.v != nil {
			b.WriteString(" " + f.n + "=" + strconvF(*f.v))
		}
	}
	if r.TTLms != nil {
		b.WriteString(" ttl=" + strconvF(float64(*r.TTLms)))
	}
	if r.Version != nil {
		b.WriteString(" version=" + strconvF(float64(*r.Version)))
	}
	b.WriteString(" client=" + r.Client + " role=" + string(r.Role) + " token=" + r.Token)
	return b.String()
}

func strconvF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
