// Package layer assembles and checks the libsquashfs Lambda layer: a zip whose
// lib/ (extracted by Lambda to /opt/lib) holds libsquashfs.so.1 and every
// library it needs that the provided.al2023 runtime does not provide, each
// under the SONAME the dynamic loader asks for.
package layer

import (
	"debug/elf"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Root is the library the layer exists for.
const Root = "libsquashfs.so.1"

// MaxGlibc is the newest GLIBC symbol version a layer library may require:
// provided.al2023 (Amazon Linux 2023) ships glibc 2.34.
const MaxGlibc = "2.34"

// Arch is a Lambda architecture name.
type Arch string

// The architectures Lambda runs.
const (
	ARM64  Arch = "arm64"
	X86_64 Arch = "x86_64"
)

// ParseArch accepts the Lambda spelling (arm64, x86_64).
func ParseArch(s string) (Arch, error) {
	switch a := Arch(s); a {
	case ARM64, X86_64:
		return a, nil
	}
	return "", fmt.Errorf("layer: unknown architecture %q (want arm64 or x86_64)", s)
}

// Machine is the ELF e_machine every library of the layer must have.
func (a Arch) Machine() elf.Machine {
	if a == ARM64 {
		return elf.EM_AARCH64
	}
	return elf.EM_X86_64
}

// triplet is Debian's multiarch directory name for the architecture.
func (a Arch) triplet() string {
	if a == ARM64 {
		return "aarch64-linux-gnu"
	}
	return "x86_64-linux-gnu"
}

// Object is what the layer needs to know about one ELF shared object.
type Object struct {
	Soname  string
	Machine elf.Machine
	Type    elf.Type
	Needed  []string                 // DT_NEEDED entries, in file order
	Needs   []elf.DynamicVersionNeed // SHT_GNU_verneed: versions required per library
}

// Inspect reads the dynamic-linking facts of an ELF file.
func Inspect(r io.ReaderAt) (Object, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return Object{}, fmt.Errorf("layer: not an ELF file: %w", err)
	}
	defer f.Close()
	o := Object{Machine: f.Machine, Type: f.Type}
	if o.Needed, err = f.ImportedLibraries(); err != nil {
		return Object{}, fmt.Errorf("layer: reading DT_NEEDED: %w", err)
	}
	sonames, err := f.DynString(elf.DT_SONAME)
	if err != nil {
		return Object{}, fmt.Errorf("layer: reading DT_SONAME: %w", err)
	}
	if len(sonames) > 0 {
		o.Soname = sonames[0]
	}
	if f.Section(".gnu.version_r") != nil {
		if o.Needs, err = f.DynamicVersionNeeds(); err != nil {
			return Object{}, fmt.Errorf("layer: reading .gnu.version_r: %w", err)
		}
	}
	return o, nil
}

// GlibcViolations lists the GLIBC symbol versions the object requires that
// are newer than max (a "2.34"-style version), and any GLIBC_PRIVATE use,
// which no runtime promises to keep.
func (o Object) GlibcViolations(max string) ([]string, error) {
	limit, err := parseVersion(max)
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, n := range o.Needs {
		for _, d := range n.Needs {
			v, ok := strings.CutPrefix(d.Dep, "GLIBC_")
			if !ok {
				continue
			}
			if v == "PRIVATE" {
				bad = append(bad, n.Name+":"+d.Dep)
				continue
			}
			have, err := parseVersion(v)
			if err != nil {
				return nil, fmt.Errorf("layer: %s requires unparsable version %q: %w", n.Name, d.Dep, err)
			}
			if compareVersions(have, limit) > 0 {
				bad = append(bad, n.Name+":"+d.Dep)
			}
		}
	}
	return bad, nil
}

func parseVersion(s string) ([]int, error) {
	parts := strings.Split(s, ".")
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("layer: bad version %q", s)
		}
		v[i] = n
	}
	return v, nil
}

func compareVersions(a, b []int) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
