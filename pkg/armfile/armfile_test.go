package armfile

import (
	"reflect"
	"testing"
)

func TestConfigArmYAMLIsDefault(t *testing.T) {
	got, err := Load("../../config/arm.yaml")
	if err != nil {
		t.Fatalf("Load(config/arm.yaml): %v", err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config/arm.yaml parses to\n%+v\nwant Default()\n%+v", got, want)
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}
