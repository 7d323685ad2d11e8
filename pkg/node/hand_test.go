package node

import (
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/hand"
)

// A live change of another parameter (clamp_to_workspace) reaches
// setMapping with the same hand mapping: the tracker, and with it the
// external clutch a ~/clutch call engaged, must stay.
func TestSetMappingKeepsTheTrackerWhenTheMappingIsUnchanged(t *testing.T) {
	m := hand.Mapping{Clutch: hand.ClutchExternal}
	h, err := newHandInput(nil, bridge.Settings{Hand: m})
	if err != nil {
		t.Fatal(err)
	}
	before := h.current()
	if err := before.SetClutch(true); err != nil {
		t.Fatal(err)
	}
	if err := h.setMapping(m); err != nil {
		t.Fatal(err)
	}
	if h.current() != before {
		t.Fatal("an unchanged mapping replaced the tracker (the external clutch was released)")
	}
	m.Scale = [3]float64{2, 2, 2}
	if err := h.setMapping(m); err != nil {
		t.Fatal(err)
	}
	if h.current() == before {
		t.Fatal("a changed mapping kept the old tracker")
	}
}
