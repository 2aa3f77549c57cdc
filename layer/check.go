package layer

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"time"
)

// Check verifies a layer zip for arch and returns every problem it finds,
// joined: each entry is lib/<name>, a regular file with the fixed time and
// mode, an ELF shared object for arch whose SONAME is its name; every
// DT_NEEDED resolves inside the layer or to base; no library requires a GLIBC
// symbol version newer than MaxGlibc; Root is present.
func Check(zr *zip.Reader, arch Arch, base BaseLibs) error {
	var errs []error
	inLayer := map[string]bool{}
	objs := map[string]Object{}
	var names []string
	for _, f := range zr.File {
		if err := checkName(f.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		name := f.Name[len("lib/"):]
		if inLayer[name] {
			errs = append(errs, fmt.Errorf("layer: duplicate entry %s", f.Name))
			continue
		}
		inLayer[name] = true
		names = append(names, name)
		if m := f.Mode(); m != 0o644 {
			errs = append(errs, fmt.Errorf("layer: %s has mode %v, want -rw-r--r--", f.Name, m))
		}
		if !f.Modified.Equal(epoch) && !f.Modified.Equal(epoch.In(time.Local)) {
			errs = append(errs, fmt.Errorf("layer: %s has time %v, want %v", f.Name, f.Modified, epoch))
		}
		o, err := inspectEntry(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs[name] = o
		if o.Machine != arch.Machine() {
			errs = append(errs, fmt.Errorf("layer: %s is %v, want %v for %s", f.Name, o.Machine, arch.Machine(), arch))
		}
		if o.Type != elf.ET_DYN {
			errs = append(errs, fmt.Errorf("layer: %s is %v, want a shared object", f.Name, o.Type))
		}
		if o.Soname != name {
			errs = append(errs, fmt.Errorf("layer: %s has SONAME %q: the loader would not find it under this name", f.Name, o.Soname))
		}
		bad, err := o.GlibcViolations(MaxGlibc)
		if err != nil {
			errs = append(errs, fmt.Errorf("layer: %s: %w", f.Name, err))
		}
		for _, b := range bad {
			errs = append(errs, fmt.Errorf("layer: %s requires %s, newer than the runtime's glibc %s", f.Name, b, MaxGlibc))
		}
	}
	for _, name := range names {
		o, ok := objs[name]
		if !ok {
			continue
		}
		for _, dep := range o.Needed {
			if !inLayer[dep] && !base[dep] {
				errs = append(errs, fmt.Errorf("layer: lib/%s needs %s, which is neither in the layer nor provided by the runtime", name, dep))
			}
		}
	}
	if !inLayer[Root] {
		errs = append(errs, fmt.Errorf("layer: %s is missing", "lib/"+Root))
	}
	return errors.Join(errs...)
}

func inspectEntry(f *zip.File) (Object, error) {
	if f.UncompressedSize64 > maxLibSize {
		return Object{}, fmt.Errorf("layer: %s is %d bytes, more than the %d a library may have", f.Name, f.UncompressedSize64, maxLibSize)
	}
	r, err := f.Open()
	if err != nil {
		return Object{}, fmt.Errorf("layer: %s: %w", f.Name, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxLibSize))
	if err != nil {
		return Object{}, fmt.Errorf("layer: %s: %w", f.Name, err)
	}
	o, err := Inspect(bytes.NewReader(data))
	if err != nil {
		return Object{}, fmt.Errorf("layer: %s: %w", f.Name, err)
	}
	return o, nil
}
