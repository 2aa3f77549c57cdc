package awsschema

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	s := &Schema{
		Version:  "6.25.0",
		Provider: &Block{Attributes: map[string]*Attribute{"region": {Type: []byte(`"string"`), Optional: true}}},
		Resources: map[string]*Block{"aws_vpc": {
			Attributes: map[string]*Attribute{"cidr_block": {Type: []byte(`"string"`), Required: true}},
			Blocks:     map[string]*NestedBlock{"timeouts": {Nesting: NestingSingle, Block: &Block{}}},
		}},
		DataSources: map[string]*Block{},
	}
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Resources, s.Resources) || got.Version != s.Version {
		t.Errorf("round trip changed the schema: %+v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"not json", "{", "decode stand-in schema"},
		{"no provider", `{"resources":{"aws_vpc":{}}}`, "no provider block"},
		{"no resources", `{"provider":{}}`, "no resources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}
