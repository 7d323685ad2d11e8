package pca9685

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"periph.io/x/conn/v3/i2c/i2creg"
)

// enableI2C is how to give a Raspberry Pi an I²C bus.
const enableI2C = "enable I²C: sudo raspi-config → Interface Options → I2C, or add dtparam=i2c_arm=on to /boot/firmware/config.txt, then reboot; ls /dev/i2c-* lists the buses"

// openError says which bus Open tried, why it could not open it in a lab
// user's terms (periph's own text talks about its Init), and the fix. refs
// are the buses this machine has.
func openError(busName string, err error, refs []*i2creg.Ref) error {
	tried := "the first I²C bus"
	if busName != "" {
		tried = fmt.Sprintf("I²C bus %q", busName)
		if !strings.HasPrefix(busName, "/") {
			tried += " (/dev/i2c-" + busName + ")"
		}
	}
	if len(refs) == 0 {
		return fmt.Errorf("pca9685: cannot open %s: this machine has no I²C bus (no /dev/i2c-*); %s", tried, enableI2C)
	}
	var names []string
	for _, r := range refs {
		names = append(names, r.Name)
	}
	if errors.Is(err, fs.ErrPermission) || strings.Contains(err.Error(), "permission denied") {
		return fmt.Errorf("pca9685: cannot open %s: permission denied; add your user to the i2c group (sudo usermod -aG i2c $USER, then log in again)", tried)
	}
	return fmt.Errorf("pca9685: cannot open %s (%s): this machine's I²C buses are %s; pass one of them, or %s",
		tried, strings.TrimPrefix(err.Error(), "i2creg: "), strings.Join(names, ", "), enableI2C)
}
