// Command fk is a test helper for test/test_urdf.py: it reads joint vectors
// (one JSON array of radians per line, URDF/servo frame, kinematic joints in
// arm-file order) on stdin and prints pkg/ik's tool point for each, one JSON
// array [x, y, z] in millimetres per line. Usage: fk ARMFILE
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fk:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: fk ARMFILE")
	}
	arm, err := armfile.Load(os.Args[1])
	if err != nil {
		return err
	}
	m := arm.Model()
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var ext []float64
		if err := json.Unmarshal(in.Bytes(), &ext); err != nil {
			return err
		}
		q, err := m.FromExternal(ext)
		if err != nil {
			return err
		}
		p, err := m.FK(q)
		if err != nil {
			return err
		}
		b, _ := json.Marshal([]float64{p.X, p.Y, p.Z})
		fmt.Fprintf(out, "%s\n", b)
	}
	return in.Err()
}
