package provider

import (
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// objectAttrs returns the attributes of a known, non-null object (else nil).
func objectAttrs(v tftypes.Value) map[string]tftypes.Value {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		return nil
	}
	return m
}

// elements returns the elements of a known, non-null list or set, or the
// value itself for a single nested block.
func elements(v tftypes.Value) []tftypes.Value {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var l []tftypes.Value
	if err := v.As(&l); err != nil {
		return []tftypes.Value{v}
	}
	return l
}

// mapElems returns the elements of a known, non-null map (else nil).
func mapElems(v tftypes.Value) map[string]tftypes.Value {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		return nil
	}
	return m
}

func knownString(v tftypes.Value) (string, bool) {
	if !v.IsKnown() || v.IsNull() {
		return "", false
	}
	var s string
	if err := v.As(&s); err != nil {
		return "", false
	}
	return s, true
}

// stringList returns the known strings of a list or set of strings.
func stringList(v tftypes.Value) []string {
	var out []string
	for _, e := range elements(v) {
		if s, ok := knownString(e); ok {
			out = append(out, s)
		}
	}
	return out
}

func stringValue(s string) tftypes.Value {
	return tftypes.NewValue(tftypes.String, s)
}

func stringListValue(t tftypes.Type, ss []string) tftypes.Value {
	elems := make([]tftypes.Value, len(ss))
	for i, s := range ss {
		elems[i] = stringValue(s)
	}
	switch t.(type) {
	case tftypes.Set:
		return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, elems)
	default:
		return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, elems)
	}
}

func objectType(v tftypes.Value) tftypes.Object {
	o, _ := v.Type().(tftypes.Object)
	return o
}
