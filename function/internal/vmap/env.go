package vmap

import (
	"fmt"
	"strconv"
	"strings"
)

// Environment variables that define the map.
const (
	// EnvPrefix + "1" … EnvPrefix + "20" hold one entry each; gaps are
	// allowed.
	EnvPrefix = "S3ARCHIVEFS_PREFIX_VMAP"
	// EnvMaxIndex is the highest numbered variable read.
	EnvMaxIndex = 20
	// EnvExtFile names a file with one entry per line; blank lines and
	// lines starting with "#" are ignored.
	EnvExtFile = "S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE"
)

// maxExtFileBytes bounds the ext file: a map of this size has tens of
// thousands of entries, far beyond any sane deployment.
const maxExtFileBytes = 16 << 20

// FromEnv reads S3ARCHIVEFS_PREFIX_VMAP1..20 through getenv and the file
// named by S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE through readFile. An empty
// variable counts as unset.
func FromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (*Map, error) {
	var lines []Line
	for i := 1; i <= EnvMaxIndex; i++ {
		name := EnvPrefix + strconv.Itoa(i)
		if v := getenv(name); strings.TrimSpace(v) != "" {
			lines = append(lines, Line{Text: v, Source: name})
		}
	}
	if name := strings.TrimSpace(getenv(EnvExtFile)); name != "" {
		data, err := readFile(name)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", EnvExtFile, name, err)
		}
		if len(data) > maxExtFileBytes {
			return nil, fmt.Errorf("%s=%s: the file is larger than %d bytes", EnvExtFile, name, maxExtFileBytes)
		}
		lines = append(lines, FileLines(name, data)...)
	}
	return Parse(lines)
}

// FileLines splits an ext file into entry lines, dropping blank lines
// and "#" comments. Each line's Source is "name:lineno".
func FileLines(name string, data []byte) []Line {
	var lines []Line
	for i, text := range strings.Split(string(data), "\n") {
		text = strings.TrimSpace(text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		lines = append(lines, Line{Text: text, Source: name + ":" + strconv.Itoa(i+1)})
	}
	return lines
}
