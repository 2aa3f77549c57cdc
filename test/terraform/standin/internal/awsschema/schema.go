// Package awsschema is the compact schema of the hashicorp/aws provider that
// the offline stand-in serves: for every resource and data source, its
// attributes (with Terraform's JSON type encoding) and nested blocks.
//
// It is generated on each machine by cmd/awsschemagen from the jsii type
// system of @cdktf/provider-aws and never committed.
package awsschema

import (
	"encoding/json"
	"fmt"
	"os"
)

// Schema is the whole provider: its own configuration block and every type.
type Schema struct {
	Version     string            `json:"version"` // provider version the schema describes
	Provider    *Block            `json:"provider"`
	Resources   map[string]*Block `json:"resources"`
	DataSources map[string]*Block `json:"data_sources"`
}

// Block is one level of configuration: arguments and nested blocks.
type Block struct {
	Attributes map[string]*Attribute   `json:"attributes,omitempty"`
	Blocks     map[string]*NestedBlock `json:"blocks,omitempty"`
}

// Attribute is one argument or exported attribute. Type uses Terraform's JSON
// type encoding ("string", ["list","string"], ["object",{...}]).
type Attribute struct {
	Type     json.RawMessage `json:"type"`
	Required bool            `json:"required,omitempty"`
	Optional bool            `json:"optional,omitempty"`
	Computed bool            `json:"computed,omitempty"`
}

// Nesting modes of a nested block, as Terraform names them.
const (
	NestingSingle = "single"
	NestingList   = "list"
	NestingSet    = "set"
)

// NestedBlock is a block type written inside another block.
type NestedBlock struct {
	Nesting  string `json:"nesting"`
	MinItems int    `json:"min_items,omitempty"`
	MaxItems int    `json:"max_items,omitempty"`
	Block    *Block `json:"block"`
}

// Load reads a schema written by Save.
func Load(path string) (*Schema, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read stand-in schema: %w", err)
	}
	var s Schema
	if err := json.Unmarshal(buf, &s); err != nil {
		return nil, fmt.Errorf("decode stand-in schema %s: %w", path, err)
	}
	if s.Provider == nil || len(s.Resources) == 0 {
		return nil, fmt.Errorf("stand-in schema %s: no provider block or no resources", path)
	}
	return &s, nil
}

// Save writes s as JSON to path, atomically (temp file, then rename).
func (s *Schema) Save(path string) error {
	buf, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode stand-in schema: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf, 0o644); err != nil {
		return fmt.Errorf("write stand-in schema: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write stand-in schema: %w", err)
	}
	return nil
}
