package olap_test

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
)

// logBuffer collects the handler's JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// requests returns the "request" log lines, decoded.
func (b *logBuffer) requests() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

// testLog sends the endpoint's log to the test's.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}
