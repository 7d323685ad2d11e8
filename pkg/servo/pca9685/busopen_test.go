package pca9685

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"periph.io/x/conn/v3/i2c/i2creg"
)

// On a machine without I²C (this one, or a Pi with I²C off), Open says which
// bus it tried and how to enable I²C, never periph's "did you forget to call
// Init()".
func TestOpenWithoutI2CSaysHowToEnableIt(t *testing.T) {
	if m, _ := filepath.Glob("/dev/i2c-*"); len(m) > 0 {
		t.Skip("this machine has an I²C bus")
	}
	for busName, tried := range map[string]string{
		"":           "the first I²C bus",
		"1":          `I²C bus "1" (/dev/i2c-1)`,
		"/dev/i2c-3": `I²C bus "/dev/i2c-3"`,
	} {
		_, err := Open(busName, DefaultAddr, nil, 0)
		if err == nil {
			t.Fatalf("Open(%q) succeeded without an I²C bus", busName)
		}
		msg := err.Error()
		for _, want := range []string{"cannot open " + tried + ": this machine has no I²C bus", "raspi-config", "dtparam=i2c_arm=on"} {
			if !strings.Contains(msg, want) {
				t.Errorf("Open(%q) error %q lacks %q", busName, msg, want)
			}
		}
		if strings.Contains(msg, "Init()") {
			t.Errorf("Open(%q) error %q uses periph's wording", busName, msg)
		}
	}
}

func TestOpenErrorListsBusesAndPermission(t *testing.T) {
	refs := []*i2creg.Ref{{Name: "I2C1"}, {Name: "I2C3"}}
	msg := openError("7", errors.New(`i2creg: can't open unknown bus: "7"`), refs).Error()
	if !strings.Contains(msg, `cannot open I²C bus "7" (/dev/i2c-7) (can't open unknown bus: "7"): this machine's I²C buses are I2C1, I2C3; pass one of them`) {
		t.Errorf("unknown bus: %q", msg)
	}
	msg = openError("1", errors.New("sysfs-i2c: open /dev/i2c-1: permission denied"), refs).Error()
	if !strings.Contains(msg, "permission denied; add your user to the i2c group") {
		t.Errorf("permission: %q", msg)
	}
}
