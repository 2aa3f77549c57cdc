package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// module is what the generator learns from one compiled cdktf module
// (lib/<name>/index.js) that the .jsii type system does not carry: the
// Terraform name behind each camelCase property, whether a collection is a
// set or a list, and whether a nested struct is a block.
type module struct {
	// resourceType maps a class to its Terraform type name (aws_vpc).
	resourceType map[string]string
	// getters maps class → camelCase property → Terraform attribute.
	getters map[string]map[string]jsAttr
	// fields maps a config context (a resource class or a struct name) →
	// Terraform argument name → how cdktf synthesizes it.
	fields map[string]map[string]jsField
}

type jsAttr struct {
	name string
	set  bool // read through Fn.tolist or a ComplexList wrapping a set
}

type jsField struct {
	camel string // the property the synthesis reads the value from
	block bool
	kind  string // simple, list, set, map, struct
}

var (
	reClass     = regexp.MustCompile(`^class (\w+) extends `)
	reHclFunc   = regexp.MustCompile(`^function (\w+)ToHclTerraform\(`)
	reGetter    = regexp.MustCompile(`^\s+get (\w+)\(\) \{$`)
	reGetAttr   = regexp.MustCompile(`^\s+return .*?(cdktf\.Fn\.tolist\()?this\.(?:get\w*Attribute|interpolationForAttribute)\('([^']+)'\)`)
	reNewList   = regexp.MustCompile(`this\._(\w+) = new \w+\(this, "([^"]+)"(?:, (true|false))?\);`)
	reFieldOpen = regexp.MustCompile(`^\s+"?([\w-]+)"?: \{$`)
	reValue     = regexp.MustCompile(`^\s+value: .*?\b(?:struct|this)\._?(\w+)`)
	reIsBlock   = regexp.MustCompile(`^\s+isBlock: (true|false),$`)
	reKind      = regexp.MustCompile(`^\s+type: "(\w+)",$`)
	reTfType    = regexp.MustCompile(`^(\w+)\.tfResourceType = "([^"]+)";$`)
)

// readModule reads every compiled file of one cdktf module directory.
func readModule(dir string) (*module, error) {
	m := &module{
		resourceType: map[string]string{},
		getters:      map[string]map[string]jsAttr{},
		fields:       map[string]map[string]jsField{},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.js"))
	if err != nil {
		return nil, fmt.Errorf("list cdktf module: %w", err)
	}
	structs, err := filepath.Glob(filepath.Join(dir, "index-structs", "*.js"))
	if err != nil {
		return nil, fmt.Errorf("list cdktf module: %w", err)
	}
	files = append(files, structs...)
	if len(files) == 0 {
		return nil, fmt.Errorf("cdktf module %s: no compiled files", dir)
	}
	for _, f := range files {
		if err := m.read(f); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *module) read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open cdktf module: %w", err)
	}
	defer f.Close()
	var (
		class, context string // enclosing class; enclosing synthesis context
		getter         string // camel name of the getter opened on the previous line
		field          string // field of a synthesis table being read
		fieldCamel     string
		fieldBlock     bool
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if g := reClass.FindStringSubmatch(line); g != nil {
			class, context = g[1], g[1]
			continue
		}
		if g := reHclFunc.FindStringSubmatch(line); g != nil {
			context = strings.ToUpper(g[1][:1]) + g[1][1:]
			continue
		}
		if g := reTfType.FindStringSubmatch(line); g != nil {
			m.resourceType[g[1]] = g[2]
			continue
		}
		if getter != "" {
			if g := reGetAttr.FindStringSubmatch(line); g != nil {
				m.addGetter(class, getter, jsAttr{name: g[2], set: g[1] != ""})
			}
			getter = ""
		}
		if g := reGetter.FindStringSubmatch(line); g != nil {
			getter = g[1]
			continue
		}
		if g := reNewList.FindStringSubmatch(line); g != nil {
			m.addGetter(class, g[1], jsAttr{name: g[2], set: g[3] == "true"})
			continue
		}
		if g := reFieldOpen.FindStringSubmatch(line); g != nil {
			field, fieldCamel, fieldBlock = g[1], "", false
			continue
		}
		if field == "" {
			continue
		}
		if g := reValue.FindStringSubmatch(line); g != nil {
			fieldCamel = g[1]
			continue
		}
		if g := reIsBlock.FindStringSubmatch(line); g != nil {
			fieldBlock = g[1] == "true"
			continue
		}
		if g := reKind.FindStringSubmatch(line); g != nil {
			if m.fields[context] == nil {
				m.fields[context] = map[string]jsField{}
			}
			m.fields[context][field] = jsField{camel: fieldCamel, block: fieldBlock, kind: g[1]}
			field = ""
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read cdktf module %s: %w", path, err)
	}
	return nil
}

func (m *module) addGetter(class, camel string, a jsAttr) {
	if m.getters[class] == nil {
		m.getters[class] = map[string]jsAttr{}
	}
	m.getters[class][camel] = a
}

// field finds the synthesis entry of a config property: the entry that
// reads its value from the property, else the one whose name cdktf's
// naming (lowerCamel) turns into the property's.
func (m *module) field(context, camel string) (string, jsField, bool) {
	for name, f := range m.fields[context] {
		if f.camel == camel {
			return name, f, true
		}
	}
	for name, f := range m.fields[context] {
		if lowerCamel(name) == camel {
			return name, f, true
		}
	}
	return "", jsField{}, false
}

// lowerCamel is cdktf's property naming: snake_case → snakeCase.
func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	var b strings.Builder
	for i, p := range parts {
		if p == "" {
			continue
		}
		if i > 0 && b.Len() > 0 {
			p = strings.ToUpper(p[:1]) + p[1:]
		}
		b.WriteString(p)
	}
	return b.String()
}
