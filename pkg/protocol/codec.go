package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// DecodeRequest decodes one request line (without its terminator). On error
// it still returns the request's ID when one could be extracted, so the
// error reply can echo it.
func DecodeRequest(line []byte) (Request, *Error) {
	var req Request
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return req, &Error{Code: CodeInvalidJSON, Message: fmt.Sprintf("not valid JSON (%v at byte %d): send one JSON object per line", se, se.Offset)}
		}
		return req, notObject(line)
	}
	if raw == nil {
		return req, notObject(line)
	}

	if b, ok := present(raw, "id"); ok {
		if err := checkID(b); err != nil {
			return req, err
		}
		req.ID = ID(b)
	}

	b, ok := present(raw, "type")
	if !ok {
		return req, &Error{Code: CodeInvalidCommand, Message: `missing field "type": use one of ` + typeList()}
	}
	s, err := decodeString("type", b)
	if err != nil {
		return req, err
	}
	req.Type = Type(s)
	if !req.Type.Valid() {
		return req, &Error{Code: CodeInvalidCommand, Message: fmt.Sprintf("unknown type %.40q: use one of %s", s, typeList())}
	}

	for _, decode := range fieldDecoders {
		if err := decode(raw, &req); err != nil {
			return req, err
		}
	}
	return req, checkRequired(&req)
}

// fieldDecoders decode the optional fields, in the order their errors take
// precedence.
var fieldDecoders = [...]func(map[string]json.RawMessage, *Request) *Error{decodeMotionFields, decodeSessionFields, decodeServoFields}

// decodeMotionFields decodes the target fields: x, y, z, gripper, ttl_ms.
func decodeMotionFields(raw map[string]json.RawMessage, req *Request) *Error {
	for _, f := range []struct {
		name string
		dst  **float64
	}{{"x", &req.X}, {"y", &req.Y}, {"z", &req.Z}} {
		if b, ok := present(raw, f.name); ok {
			v, err := parseNumber(f.name, b, "a number of millimetres")
			if err != nil {
				return err
			}
			*f.dst = &v
		}
	}
	if b, ok := present(raw, "gripper"); ok {
		var g Gripper
		if err := g.UnmarshalJSON(b); err != nil {
			return err.(*Error)
		}
		req.Gripper = &g
	}
	if b, ok := present(raw, "ttl_ms"); ok {
		n, err := parseInt("ttl_ms", b, "a whole number of milliseconds greater than 0")
		if err != nil {
			return err
		}
		if n <= 0 {
			return &Error{Code: CodeOutOfRange, Message: fmt.Sprintf(`field "ttl_ms" is %d: use a whole number of milliseconds greater than 0, or leave it out for no limit`, n)}
		}
		req.TTLms = &n
	}
	return nil
}

// decodeSessionFields decodes the fields of subscribe and hello: rate_hz,
// version, client, role, token, resume.
func decodeSessionFields(raw map[string]json.RawMessage, req *Request) *Error {
	var err *Error
	if b, ok := present(raw, "rate_hz"); ok {
		v, err := parseNumber("rate_hz", b, "a number of states per second")
		if err != nil {
			return err
		}
		if !(v > 0 && v <= MaxRateHz) {
			return &Error{Code: CodeOutOfRange, Message: fmt.Sprintf(`field "rate_hz" is %g: use a number of states per second above 0 and at most %d (the server sends at most one per servo tick), or leave it out for events on change only`, v, MaxRateHz)}
		}
		req.RateHz = &v
	}
	if b, ok := present(raw, "version"); ok {
		n, err := parseInt("version", b, "a whole number")
		if err != nil {
			return err
		}
		if n != Version {
			return &Error{Code: CodeUnsupportedVersion, Message: fmt.Sprintf("protocol version %d is not supported: this server speaks version %d", n, Version)}
		}
		v := int(n)
		req.Version = &v
	}
	if b, ok := present(raw, "client"); ok {
		if req.Client, err = decodeString("client", b); err != nil {
			return err
		}
	}
	if b, ok := present(raw, "role"); ok {
		s, err := decodeString("role", b)
		if err != nil {
			return err
		}
		req.Role = Role(s)
		if !req.Role.Valid() {
			return &Error{Code: CodeInvalidCommand, Message: fmt.Sprintf(`unknown role %.40q: use "control" or "monitor"`, s)}
		}
	}
	if b, ok := present(raw, "token"); ok {
		if req.Token, err = decodeString("token", b); err != nil {
			return err
		}
	}
	if b, ok := present(raw, "resume"); ok {
		v, err := parseBool("resume", b)
		if err != nil {
			return err
		}
		req.Resume = v
	}
	return nil
}

// decodeServoFields decodes the joint-space and torque fields: joints, on.
func decodeServoFields(raw map[string]json.RawMessage, req *Request) *Error {
	if b, ok := present(raw, "joints"); ok {
		var items []json.RawMessage
		if len(b) == 0 || b[0] != '[' || json.Unmarshal(b, &items) != nil {
			return &Error{Code: CodeBadType, Message: fmt.Sprintf(`field "joints" must be an array of joint angles in degrees, got %s`, jsonKind(b))}
		}
		if len(items) == 0 || len(items) > maxJoints {
			return &Error{Code: CodeOutOfRange, Message: fmt.Sprintf(`field "joints" has %d angles: send one per joint of the arm, in degrees`, len(items))}
		}
		req.Joints = make([]float64, len(items))
		for i, it := range items {
			v, err := parseNumber(fmt.Sprintf("joints[%d]", i), it, "a joint angle in degrees")
			if err != nil {
				return err
			}
			req.Joints[i] = v
		}
	}
	if b, ok := present(raw, "on"); ok {
		on, err := parseBool("on", b)
		if err != nil {
			return err
		}
		req.On = &on
	}
	return nil
}

// checkRequired reports a field req's type needs and lacks, or a
// combination it does not allow.
func checkRequired(req *Request) *Error {
	switch req.Type {
	case TypeTorque:
		if req.On == nil {
			return &Error{Code: CodeMissingField, Message: `missing field "on": send {"type":"torque","on":false} to make the arm limp, "on":true to hold it again`}
		}
	case TypeCommand:
		var missing []string
		for _, f := range []struct {
			name string
			v    *float64
		}{{"x", req.X}, {"y", req.Y}, {"z", req.Z}} {
			if f.v == nil {
				missing = append(missing, `"`+f.name+`"`)
			}
		}
		if req.Joints != nil {
			if len(missing) < 3 {
				return &Error{Code: CodeInvalidCommand, Message: `a command has either "joints" (degrees) or "x", "y", "z" (millimetres), not both`}
			}
			break
		}
		if len(missing) == 3 && req.Gripper != nil {
			break // a gripper change: the arm keeps its current target
		}
		if len(missing) > 0 {
			word := "field"
			if len(missing) > 1 {
				word = "fields"
			}
			return &Error{Code: CodeMissingField, Message: fmt.Sprintf("missing %s %s: a command needs x, y and z in millimetres (or none of them, with \"gripper\", to change only the gripper)", word, strings.Join(missing, ", "))}
		}
	case TypeHello:
		if req.Version == nil {
			return &Error{Code: CodeMissingField, Message: fmt.Sprintf(`missing field "version": a hello needs "version":%d`, Version)}
		}
	}
	return nil
}

// parseBool decodes a JSON true or false.
func parseBool(name string, b json.RawMessage) (bool, *Error) {
	switch string(b) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &Error{Code: CodeBadType, Message: fmt.Sprintf(`field %q must be true or false, got %s`, name, jsonKind(b))}
}

// maxJoints bounds the "joints" array far above any arm's joint count.
const maxJoints = 32

// present returns the raw value of key unless it is absent or null.
func present(raw map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	b, ok := raw[key]
	if !ok || string(b) == "null" {
		return nil, false
	}
	return b, true
}

func decodeString(field string, b []byte) (string, *Error) {
	var s string
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		return "", &Error{Code: CodeBadType, Message: fmt.Sprintf("field %q must be a string, got %s", field, jsonKind(b))}
	}
	return s, nil
}

func notObject(line []byte) *Error {
	return &Error{Code: CodeInvalidJSON, Message: fmt.Sprintf(`a request must be a JSON object like {"type":"ping"}, got %s`, jsonKind(bytes.TrimLeft(line, " \t\r\n")))}
}

func typeList() string {
	s := make([]string, len(requestTypes))
	for i, t := range requestTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// encoder is a reusable buffer with a JSON encoder that does not escape HTML.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// maxPooledBuffer keeps one oversized message from pinning memory in the pool.
const maxPooledBuffer = 2 * DefaultMaxLine

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// writeLine encodes v as one '\n'-terminated line and writes it with one w.Write.
func writeLine(w io.Writer, v any) error {
	e := encoders.Get().(*encoder)
	defer func() {
		if e.buf.Cap() <= maxPooledBuffer {
			e.buf.Reset()
			encoders.Put(e)
		}
	}()
	if err := e.enc.Encode(v); err != nil {
		return fmt.Errorf("protocol: encode: %w", err)
	}
	_, err := w.Write(e.buf.Bytes())
	return err
}

// EncodeRequest writes r as one '\n'-terminated line with a single w.Write.
func EncodeRequest(w io.Writer, r *Request) error { return writeLine(w, r) }

// EncodeResponse writes r as one '\n'-terminated line with a single w.Write.
func EncodeResponse(w io.Writer, r *Response) error { return writeLine(w, r) }

// DecodeResponse decodes one reply or event line (without its terminator).
func DecodeResponse(line []byte) (Response, error) {
	var r Response
	if err := json.Unmarshal(line, &r); err != nil {
		return Response{}, fmt.Errorf("protocol: decode response: %w", err)
	}
	if r.Status != StatusOK && r.Status != StatusError {
		return r, fmt.Errorf("protocol: decode response: status is %.40q, want %q or %q", r.Status, StatusOK, StatusError)
	}
	return r, nil
}
