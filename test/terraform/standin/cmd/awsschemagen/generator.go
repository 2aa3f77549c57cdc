package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/awsschema"
)

type generator struct {
	asm     *assembly
	lib     string
	modules map[string]*module
	stats   genStats
}

type genStats struct {
	unnamed int // computed getters whose Terraform name the module did not reveal
}

var (
	reVersion = regexp.MustCompile(`registry\.terraform\.io/providers/hashicorp/aws/([0-9.]+)/docs`)
	reAnchor  = regexp.MustCompile(`#(\w+) \w+#\w+\}`)
)

func (g *generator) schema() (*awsschema.Schema, error) {
	s := &awsschema.Schema{Resources: map[string]*awsschema.Block{}, DataSources: map[string]*awsschema.Block{}}
	fqns := make([]string, 0, len(g.asm.Types))
	for fqn := range g.asm.Types {
		fqns = append(fqns, fqn)
	}
	sort.Strings(fqns)
	for _, fqn := range fqns {
		t := g.asm.Types[fqn]
		if t.Kind != "class" {
			continue
		}
		switch t.Base {
		case "cdktf.TerraformResource", "cdktf.TerraformDataSource", "cdktf.TerraformProvider":
		default:
			continue
		}
		m, err := g.module(t)
		if err != nil {
			return nil, err
		}
		class := className(fqn)
		name := m.resourceType[class]
		if name == "" {
			return nil, fmt.Errorf("%s: module assigns no tfResourceType", fqn)
		}
		b, err := g.block(t.configFQN(), fqn, class, m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		switch t.Base {
		case "cdktf.TerraformResource":
			s.Resources[name] = b
		case "cdktf.TerraformDataSource":
			s.DataSources[name] = b
		default:
			// alias is a meta-argument Terraform itself handles.
			delete(b.Attributes, "alias")
			s.Provider = b
			if v := reVersion.FindStringSubmatch(g.versionHint(t)); v != nil {
				s.Version = v[1]
			}
		}
	}
	if s.Provider == nil {
		return nil, fmt.Errorf("no provider class in %s", g.asm.Name)
	}
	if s.Version == "" {
		return nil, fmt.Errorf("provider version not found in %s", g.asm.Name)
	}
	return s, nil
}

// versionHint returns the docs of some property of the provider config: they
// link to the registry page of the exact provider version.
func (g *generator) versionHint(t *jsiiType) string {
	cfg := g.asm.Types[t.configFQN()]
	if cfg == nil {
		return ""
	}
	for _, p := range cfg.Properties {
		if reVersion.MatchString(p.Docs.Summary) {
			return p.Docs.Summary
		}
	}
	return ""
}

func (g *generator) module(t *jsiiType) (*module, error) {
	// src/<module>/index.ts, or src/<module>/index-structs/structsN.ts for
	// the structs of large modules: one module is all of lib/<module>.
	dir, _, _ := strings.Cut(strings.TrimPrefix(t.Location.Filename, "src/"), "/")
	if m, ok := g.modules[dir]; ok {
		return m, nil
	}
	m, err := readModule(filepath.Join(g.lib, dir))
	if err != nil {
		return nil, err
	}
	g.modules[dir] = m
	return m, nil
}

// block builds the schema of one config struct (cfgFQN) and its
// output class (classFQN, whose extra getters are computed attributes).
// context names the struct in the module's synthesis tables.
func (g *generator) block(cfgFQN, classFQN, context string, m *module) (*awsschema.Block, error) {
	cfg := g.asm.Types[cfgFQN]
	if cfg == nil {
		return nil, fmt.Errorf("no config struct %s", cfgFQN)
	}
	b := &awsschema.Block{Attributes: map[string]*awsschema.Attribute{}, Blocks: map[string]*awsschema.NestedBlock{}}
	seen := map[string]bool{}
	for _, p := range cfg.Properties {
		seen[p.Name] = true
		name, f, ok := argName(m, context, p)
		if !ok {
			return nil, fmt.Errorf("%s.%s: no Terraform name in the module", cfgFQN, p.Name)
		}
		ref := p.Type.resolved()
		if elem, single := g.structOf(ref); elem != "" && p.Docs.Summary == name+" block." {
			nb := &awsschema.NestedBlock{Nesting: awsschema.NestingList}
			switch {
			case f.kind == "struct":
				nb.Nesting = awsschema.NestingSingle
			case f.kind == "set":
				nb.Nesting = awsschema.NestingSet
			}
			if single && nb.Nesting != awsschema.NestingSingle {
				nb.MaxItems = 1
			}
			if !p.Optional {
				nb.MinItems = 1
			}
			if nb.Nesting == awsschema.NestingSingle {
				// Terraform: min and max both 0, or both 1 (required).
				nb.MaxItems = nb.MinItems
			}
			inner, err := g.block(elem, elem+"OutputReference", className(elem), m)
			if err != nil {
				return nil, err
			}
			nb.Block = inner
			if nb.Nesting == awsschema.NestingSet && hasDynamic(blockObject(inner)) {
				// Terraform forbids dynamic types in set blocks; cdktf types
				// as "any" what the real schema types precisely, so a list
				// is the closest valid shape.
				nb.Nesting = awsschema.NestingList
			}
			b.Blocks[name] = nb
			continue
		}
		typ, err := g.ctyType(ref, f.kind == "set" && !hasDynamic(ref), m)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", cfgFQN, p.Name, err)
		}
		a := &awsschema.Attribute{Type: mustJSON(typ)}
		if p.Optional {
			a.Optional, a.Computed = true, true
		} else {
			a.Required = true
		}
		b.Attributes[name] = a
	}
	cls := g.asm.Types[classFQN]
	if cls == nil {
		return b, nil
	}
	class := className(classFQN)
	for _, p := range cls.Properties {
		if p.Static || seen[p.Name] || strings.HasSuffix(p.Name, "Input") || p.Name == "internalValue" {
			continue
		}
		ga, ok := m.getters[class][p.Name]
		if !ok {
			g.stats.unnamed++
			continue
		}
		if b.Attributes[ga.name] != nil || b.Blocks[ga.name] != nil {
			continue
		}
		typ, err := g.ctyType(p.Type.resolved(), ga.set, m)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", classFQN, p.Name, err)
		}
		b.Attributes[ga.name] = &awsschema.Attribute{Type: mustJSON(typ), Computed: true}
	}
	return b, nil
}

// argName finds the Terraform name of a config property: by cdktf's camel
// naming, else by the registry anchor or "<name> block." in its docs.
func argName(m *module, context string, p jsiiProp) (string, jsField, bool) {
	if name, f, ok := m.field(context, p.Name); ok {
		return name, f, true
	}
	var name string
	if a := reAnchor.FindStringSubmatch(p.Docs.Summary); a != nil {
		name = a[1]
	} else if n, ok := strings.CutSuffix(p.Docs.Summary, " block."); ok {
		name = n
	}
	f, ok := m.fields[context][name]
	return name, f, ok && name != ""
}

// structOf returns the struct a property is made of, if any, and whether it
// holds a single struct rather than an array of them.
func (g *generator) structOf(ref typeRef) (string, bool) {
	if ref.FQN != "" && g.isStruct(ref.FQN) {
		return ref.FQN, true
	}
	if ref.Collection != nil && ref.Collection.Kind == "array" {
		if e := ref.Collection.Element.resolved(); e.FQN != "" && g.isStruct(e.FQN) {
			return e.FQN, false
		}
	}
	return "", false
}

func (g *generator) isStruct(fqn string) bool {
	t := g.asm.Types[fqn]
	return t != nil && t.Kind == "interface" && t.Datatype
}

// ctyType renders a jsii type in Terraform's JSON type encoding.
func (g *generator) ctyType(ref typeRef, set bool, m *module) (any, error) {
	ref = ref.resolved()
	switch {
	case ref.Primitive != "":
		switch ref.Primitive {
		case "string", "date":
			return "string", nil
		case "number":
			return "number", nil
		case "boolean":
			return "bool", nil
		case "any", "json":
			return "dynamic", nil
		}
		return nil, fmt.Errorf("unknown primitive %q", ref.Primitive)
	case ref.Collection != nil:
		elem, err := g.ctyType(ref.Collection.Element, false, m)
		if err != nil {
			return nil, err
		}
		switch {
		case ref.Collection.Kind == "map":
			return []any{"map", elem}, nil
		case set:
			return []any{"set", elem}, nil
		}
		return []any{"list", elem}, nil
	case ref.FQN != "":
		return g.fqnType(ref.FQN, set, m)
	}
	return nil, fmt.Errorf("empty type reference")
}

func (g *generator) fqnType(fqn string, set bool, m *module) (any, error) {
	switch fqn {
	case "cdktf.IResolvable":
		return "bool", nil
	case "cdktf.StringMap":
		return []any{"map", "string"}, nil
	case "cdktf.NumberMap":
		return []any{"map", "number"}, nil
	case "cdktf.BooleanMap":
		return []any{"map", "bool"}, nil
	case "cdktf.AnyMap":
		return []any{"map", "dynamic"}, nil
	}
	t := g.asm.Types[fqn]
	if t == nil {
		return nil, fmt.Errorf("unknown type %s", fqn)
	}
	if g.isStruct(fqn) {
		return g.objectType(fqn, m)
	}
	switch t.Base {
	case "cdktf.ComplexObject":
		return g.objectType(strings.TrimSuffix(fqn, "OutputReference"), m)
	case "cdktf.ComplexList":
		obj, err := g.objectType(strings.TrimSuffix(fqn, "List"), m)
		if err != nil {
			return nil, err
		}
		if set {
			return []any{"set", obj}, nil
		}
		return []any{"list", obj}, nil
	case "cdktf.ComplexMap":
		obj, err := g.objectType(strings.TrimSuffix(fqn, "Map"), m)
		if err != nil {
			return nil, err
		}
		return []any{"map", obj}, nil
	}
	return nil, fmt.Errorf("type %s (base %s) has no Terraform type", fqn, t.Base)
}

// objectType is the object type of a struct used as an attribute value.
func (g *generator) objectType(structFQN string, m *module) (any, error) {
	b, err := g.block(structFQN, structFQN+"OutputReference", className(structFQN), m)
	if err != nil {
		return nil, err
	}
	return []any{"object", blockObject(b)}, nil
}

// blockObject is the object type a block's value has.
func blockObject(b *awsschema.Block) map[string]any {
	attrs := map[string]any{}
	for n, a := range b.Attributes {
		attrs[n] = a.Type
	}
	for n, nb := range b.Blocks {
		obj := []any{"object", blockObject(nb.Block)}
		switch nb.Nesting {
		case awsschema.NestingSingle:
			attrs[n] = obj
		case awsschema.NestingSet:
			attrs[n] = []any{"set", obj}
		default:
			attrs[n] = []any{"list", obj}
		}
	}
	return attrs
}

func className(fqn string) string {
	return fqn[strings.LastIndex(fqn, ".")+1:]
}

func mustJSON(v any) json.RawMessage {
	buf, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings, slices and maps of them: cannot fail
	}
	return buf
}

// hasDynamic reports whether a Terraform JSON type (or a jsii reference)
// contains "dynamic" anywhere.
func hasDynamic(v any) bool {
	switch t := v.(type) {
	case string:
		return t == "dynamic"
	case json.RawMessage:
		return strings.Contains(string(t), `"dynamic"`)
	case []any:
		for _, e := range t {
			if hasDynamic(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range t {
			if hasDynamic(e) {
				return true
			}
		}
	case typeRef:
		buf, _ := json.Marshal(t)
		return strings.Contains(string(buf), `"any"`)
	}
	return false
}
