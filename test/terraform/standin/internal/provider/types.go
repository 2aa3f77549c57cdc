package provider

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// parseType decodes Terraform's JSON type encoding ("string",
// ["list","string"], ["object",{"a":"number"}], ...).
func parseType(buf json.RawMessage) (tftypes.Type, error) {
	var prim string
	if err := json.Unmarshal(buf, &prim); err == nil {
		switch prim {
		case "string":
			return tftypes.String, nil
		case "number":
			return tftypes.Number, nil
		case "bool":
			return tftypes.Bool, nil
		case "dynamic":
			return tftypes.DynamicPseudoType, nil
		}
		return nil, fmt.Errorf("unknown type %q", prim)
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(buf, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("type %s: want a name or a [kind, element] pair", buf)
	}
	var kind string
	if err := json.Unmarshal(pair[0], &kind); err != nil {
		return nil, fmt.Errorf("type %s: kind is not a string", buf)
	}
	switch kind {
	case "list", "set", "map":
		elem, err := parseType(pair[1])
		if err != nil {
			return nil, err
		}
		switch kind {
		case "list":
			return tftypes.List{ElementType: elem}, nil
		case "set":
			return tftypes.Set{ElementType: elem}, nil
		}
		return tftypes.Map{ElementType: elem}, nil
	case "object":
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(pair[1], &raw); err != nil {
			return nil, fmt.Errorf("object type %s: %w", buf, err)
		}
		attrs := map[string]tftypes.Type{}
		for n, r := range raw {
			t, err := parseType(r)
			if err != nil {
				return nil, fmt.Errorf("object attribute %s: %w", n, err)
			}
			attrs[n] = t
		}
		return tftypes.Object{AttributeTypes: attrs}, nil
	case "tuple":
		var raw []json.RawMessage
		if err := json.Unmarshal(pair[1], &raw); err != nil {
			return nil, fmt.Errorf("tuple type %s: %w", buf, err)
		}
		elems := make([]tftypes.Type, len(raw))
		for i, r := range raw {
			t, err := parseType(r)
			if err != nil {
				return nil, err
			}
			elems[i] = t
		}
		return tftypes.Tuple{ElementTypes: elems}, nil
	}
	return nil, fmt.Errorf("type %s: unknown kind %q", buf, kind)
}
