package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

// Var is one configuration variable as the README documents it.
type Var struct {
	Name, Meaning, Default string
	field                  string
}

// vars lists the envconfig fields from spec's own tags, so names,
// meanings and defaults are written down once.
func vars() []Var {
	const sep = "\x1f"
	var out bytes.Buffer
	format := "{{range .}}{{usage_key .}}" + sep + "{{usage_description .}}" + sep + "{{usage_default .}}" + sep + "{{.Name}}\n{{end}}"
	if err := envconfig.Usagef(Prefix, &spec{}, &out, format); err != nil {
		panic(fmt.Sprintf("config: the spec's usage template is broken: %v", err)) // a programming error, caught by every test
	}
	var vs []Var
	for line := range strings.Lines(out.String()) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), sep)
		vs = append(vs, Var{Name: f[0], Meaning: f[1], Default: f[2], field: f[3]})
	}
	return vs
}

// key returns the variable name of a spec field.
func key(field string) string {
	for _, v := range vars() {
		if v.field == field {
			return v.Name
		}
	}
	return Prefix + "_" + field
}

// Vars returns every variable the function reads, in the README's order.
func Vars() []Var {
	vs := vars()
	vs = append(vs,
		Var{Name: fmt.Sprintf("%s1 … %s%d", vmap.EnvPrefix, vmap.EnvPrefix, vmap.EnvMaxIndex),
			Meaning: "One virtual prefix each: `virtual/prefix|s3://bucket/path/archive.sqfs` (`/` alone maps the whole namespace). Gaps in the numbering are allowed."},
		Var{Name: vmap.EnvExtFile,
			Meaning: "A file with more entries, one per line; blank lines and `#` comments are ignored. A local path, or `s3://bucket/key`."},
	)
	return vs
}

// MarkdownTable renders the variables as the README's Markdown table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Variable | Meaning | Default |\n|---|---|---|\n")
	for _, v := range Vars() {
		def := "(unset)"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, strings.ReplaceAll(v.Meaning, "|", `\|`), def)
	}
	return b.String()
}
