package objects

import (
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

func TestAllVirtual(t *testing.T) {
	m, err := vmap.Parse([]vmap.Line{{Text: "data|s3://bkt/a.sqfs", Source: "t"}, {Text: "x/y|s3://bkt/b.sqfs", Source: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	s := Router{VMap: m}
	for prefix, want := range map[string]bool{
		"": false, "d": false, "data": false, "datab/": false, "data/": true, "data/te": true,
		"x/": false, "x/y": false, "x/y/": true, "x/y/z/": true, "x/yz": false,
	} {
		if got := s.allVirtual(prefix); got != want {
			t.Errorf("allVirtual(%q) = %v, want %v", prefix, got, want)
		}
	}
	root, _ := vmap.Parse([]vmap.Line{{Text: "/|s3://bkt/root.sqfs", Source: "t"}})
	if !(Router{VMap: root}).allVirtual("") {
		t.Error("a root mapping makes every key virtual")
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		base, prefix, from     string
		innerPrefix, innerFrom string
		ok                     bool
	}{
		{"data/", "", "", "", "", true},
		{"data/", "data/te", "", "te", "", true},
		{"data/", "d", "data/x", "", "x", true},
		{"data/", "", "data", "", "", true},
		{"data/", "", "data0", "", "", false},
		{"data/", "datab", "", "", "", false},
		{"", "a/", "a/b", "a/", "a/b", true},
	}
	for _, tt := range tests {
		p, f, ok := within(tt.base, tt.prefix, tt.from)
		if p != tt.innerPrefix || f != tt.innerFrom || ok != tt.ok {
			t.Errorf("within(%q, %q, %q) = %q, %q, %v; want %q, %q, %v", tt.base, tt.prefix, tt.from, p, f, ok, tt.innerPrefix, tt.innerFrom, tt.ok)
		}
	}
}
