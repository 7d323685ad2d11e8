// Package fielderr is the error a configuration's Validate returns for one
// bad field. It names the Go field, as a library's caller needs, and lets a
// program re-word it in its users' terms: aether_controller names the flag
// (--max-line), the bridge names the ROS parameter, so no Go field name
// reaches a lab user.
package fielderr

import (
	"errors"
	"fmt"
)

// Error is one bad field: Field is its Go name ("MaxLine", "Pinch.OpenBelow")
// and Problem says what is wrong and what to use instead, without naming Go
// fields.
type Error struct {
	Field   string
	Problem string
}

// Error implements error: "Field: Problem".
func (e *Error) Error() string { return e.Field + ": " + e.Problem }

// New returns an *Error for field with a Problem formatted like fmt.Sprintf.
func New(field, format string, args ...any) *Error {
	return &Error{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Rename returns err with the Field of every *Error in it (err itself or,
// for an errors.Join result, its parts) replaced by names[Field], e.g.
// "MaxLine" → "--max-line". Fields missing from names, and errors of other
// kinds, are kept as they are.
func Rename(err error, names map[string]string) error {
	var fe *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe) && fe == err:
		if n, ok := names[fe.Field]; ok {
			return &Error{Field: n, Problem: fe.Problem}
		}
		return err
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts := j.Unwrap()
		out := make([]error, len(parts))
		for i, p := range parts {
			out[i] = Rename(p, names)
		}
		return errors.Join(out...)
	}
	return err
}
