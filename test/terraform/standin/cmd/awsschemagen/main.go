// Command awsschemagen writes the compact schema of the hashicorp/aws
// provider that the offline stand-in serves, read from the jsii type system
// of the npm package @cdktf/provider-aws (plus the small facts only its
// compiled modules carry).
//
// Usage:
//
//	awsschemagen -pkg <dir of @cdktf/provider-aws> -out schema.json
//
// How the jsii type system expresses a Terraform schema (the mapping used):
//
//   - A class whose base is cdktf.TerraformResource / TerraformDataSource /
//     TerraformProvider is one type; its Terraform name is the static
//     tfResourceType the module assigns ("aws_vpc"). Its arguments are the
//     properties of the interface <Class>Config.
//   - A config property without "optional" is a required argument; with it,
//     optional. The jsii does not say whether an optional argument is also
//     computed, so every optional argument is declared optional+computed
//     (the stand-in then decides what to plan; see package standin).
//   - A property whose docs summary is "<name> block." is a nested block; its
//     struct is the block's body. Single struct type: at most one (SDKv2
//     MaxItems 1, nesting list, or nesting single when cdktf synthesizes it
//     as "struct", e.g. timeouts); array of structs: list or set. A required
//     block property means min_items 1.
//   - A struct-typed property that is not a block is an attribute of object
//     type (SDKv2 "attributes as blocks", e.g. aws_security_group.ingress).
//   - Getters on the class (or on <Struct>OutputReference for nested blocks)
//     with no config property are computed-only attributes. cdktf.IResolvable
//     there is a bool; StringMap/NumberMap/BooleanMap are maps; a ComplexList
//     is a list or set of objects described by its OutputReference class.
//   - Types: string, number, boolean (union with IResolvable), any (dynamic),
//     array → list or set, map → map.
//   - Set versus list, and the Terraform name of computed attributes, come
//     from the compiled module: a getter wrapped in Fn.tolist, a ComplexList
//     built with wrapsSet=true, or a synthesis entry of type "set".
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/s3archivefs/s3archivefs/test/terraform/standin/internal/awsschema"
)

func main() {
	pkg := flag.String("pkg", "", "directory of the npm package @cdktf/provider-aws")
	out := flag.String("out", "schema.json", "where to write the compact schema")
	flag.Parse()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if *pkg == "" {
		fmt.Fprintln(os.Stderr, "awsschemagen: -pkg is required")
		os.Exit(2)
	}
	start := time.Now()
	s, stats, err := generate(*pkg)
	if err != nil {
		logger.Error("generate", "err", err)
		os.Exit(1)
	}
	if err := s.Save(*out); err != nil {
		logger.Error("save", "err", err)
		os.Exit(1)
	}
	logger.Info("schema written", "out", *out, "version", s.Version,
		"resources", len(s.Resources), "data_sources", len(s.DataSources),
		"unnamed_computed", stats.unnamed, "duration", time.Since(start).String())
}

func generate(pkg string) (*awsschema.Schema, genStats, error) {
	a, err := readAssembly(filepath.Join(pkg, ".jsii"))
	if err != nil {
		return nil, genStats{}, err
	}
	g := &generator{asm: a, lib: filepath.Join(pkg, "lib"), modules: map[string]*module{}}
	s, err := g.schema()
	return s, g.stats, err
}
