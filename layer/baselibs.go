package layer

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// BaseLibs is the set of SONAMEs the target runtime provides itself.
type BaseLibs map[string]bool

// ReadBaseLibs parses a list of SONAMEs, one per line; '#' starts a comment.
func ReadBaseLibs(r io.Reader) (BaseLibs, error) {
	b := BaseLibs{}
	s := bufio.NewScanner(r)
	for n := 1; s.Scan(); n++ {
		line, _, _ := strings.Cut(s.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t/") || !strings.Contains(line, ".so") {
			return nil, fmt.Errorf("layer: base library list line %d: %q is not a SONAME", n, line)
		}
		b[line] = true
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("layer: reading base library list: %w", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("layer: base library list is empty")
	}
	return b, nil
}
