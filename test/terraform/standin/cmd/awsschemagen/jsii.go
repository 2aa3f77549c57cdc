package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// assembly is the part of a .jsii file the generator reads.
type assembly struct {
	Name    string               `json:"name"`
	Version string               `json:"version"`
	Types   map[string]*jsiiType `json:"types"`
}

type jsiiType struct {
	FQN        string     `json:"fqn"`
	Kind       string     `json:"kind"` // class, interface, enum
	Base       string     `json:"base"`
	Datatype   bool       `json:"datatype"`
	Interfaces []string   `json:"interfaces"`
	Properties []jsiiProp `json:"properties"`
	// Initializer of a resource class: its "config" parameter names the
	// config struct (usually <Class>Config).
	Initializer *struct {
		Parameters []struct {
			Name string  `json:"name"`
			Type typeRef `json:"type"`
		} `json:"parameters"`
	} `json:"initializer"`
	Location struct {
		Filename string `json:"filename"`
	} `json:"locationInModule"`
}

type jsiiProp struct {
	Name     string  `json:"name"`
	Type     typeRef `json:"type"`
	Optional bool    `json:"optional"`
	Static   bool    `json:"static"`
	Docs     struct {
		Summary string `json:"summary"`
	} `json:"docs"`
}

// typeRef is a jsii type reference: exactly one of the fields is set.
type typeRef struct {
	Primitive  string `json:"primitive"`
	FQN        string `json:"fqn"`
	Collection *struct {
		Kind    string  `json:"kind"` // array or map
		Element typeRef `json:"elementtype"`
	} `json:"collection"`
	Union *struct {
		Types []typeRef `json:"types"`
	} `json:"union"`
}

// resolved drops cdktf.IResolvable from a union: cdktf adds it to let any
// value be a token, it is not part of the Terraform type. A union of
// IResolvable alone stands for a boolean (cdktf's getBooleanAttribute).
func (t typeRef) resolved() typeRef {
	if t.Union == nil {
		return t
	}
	for _, m := range t.Union.Types {
		if m.FQN != "cdktf.IResolvable" {
			return m.resolved()
		}
	}
	return typeRef{Primitive: "boolean"}
}

func readAssembly(path string) (*assembly, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open jsii assembly: %w", err)
	}
	defer f.Close()
	var a assembly
	if err := json.NewDecoder(f).Decode(&a); err != nil {
		return nil, fmt.Errorf("decode jsii assembly %s: %w", path, err)
	}
	if len(a.Types) == 0 {
		return nil, fmt.Errorf("jsii assembly %s has no types", path)
	}
	return &a, nil
}

// configFQN is the config struct a resource, data source or provider class
// is constructed from.
func (t *jsiiType) configFQN() string {
	if t.Initializer != nil {
		for _, p := range t.Initializer.Parameters {
			if p.Name == "config" && p.Type.FQN != "" {
				return p.Type.FQN
			}
		}
	}
	return t.FQN + "Config"
}
