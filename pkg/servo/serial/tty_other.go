//go:build !linux

package serial

import (
	"errors"
	"os"
)

// openTTY is only implemented for Linux (the Raspberry Pi); New still works
// with any io.Writer.
func openTTY(path string, baud int) (*os.File, error) {
	return nil, errors.New("opening a tty is only supported on Linux; use New with an io.Writer")
}
