package protocol

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// jsonKind names the JSON type of a raw value for error messages.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// parseNumber parses a raw JSON number token for field; want describes the
// accepted values for the bad_type message.
func parseNumber(field string, b []byte, want string) (float64, *Error) {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return 0, &Error{Code: CodeBadType, Message: fmt.Sprintf("field %q must be %s, got %s", field, want, jsonKind(b))}
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		if errors.Is(err, strconv.ErrRange) || err == nil {
			return 0, &Error{Code: CodeOutOfRange, Message: fmt.Sprintf("field %q is %.40s, too large for a 64-bit float: send %s", field, b, want)}
		}
		return 0, &Error{Code: CodeBadType, Message: fmt.Sprintf("field %q must be %s, got %.40s", field, want, b)}
	}
	return v, nil
}

// parseInt parses a raw JSON number token that must hold a whole number
// (1000, 1000.0 and 1e3 are all accepted).
func parseInt(field string, b []byte, want string) (int64, *Error) {
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return n, nil
	}
	v, perr := parseNumber(field, b, want)
	if perr != nil {
		return 0, perr
	}
	if v != math.Trunc(v) {
		return 0, &Error{Code: CodeBadType, Message: fmt.Sprintf("field %q must be %s, got the fraction %.40s", field, want, b)}
	}
	if v < -(1<<63) || v >= 1<<63 {
		return 0, &Error{Code: CodeOutOfRange, Message: fmt.Sprintf("field %q is %.40s, outside the 64-bit integer range: send %s", field, b, want)}
	}
	return int64(v), nil
}
