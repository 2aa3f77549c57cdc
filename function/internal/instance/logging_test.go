package instance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// lambdaLevels are the values Lambda's JSON log format reads from "level"
// (Lambda developer guide, log-level filtering).
var lambdaLevels = map[string]bool{"TRACE": true, "DEBUG": true, "INFO": true, "WARN": true, "ERROR": true, "FATAL": true}

// TestLogLineFormat: every line is one JSON object that starts with an
// RFC 3339 "timestamp" (what Lambda's log-level filter reads; there is no
// "time"), then an upper-case level Lambda knows, then msg.
func TestLogLineFormat(t *testing.T) {
	var buf bytes.Buffer
	logger := NewLogger(&buf, slog.LevelDebug)
	before := time.Now()
	logger.Debug("d")
	logger.Info(requestMsg, "op", "GetObject", "status", 200)
	logger.Warn("w", "variable", "S3ARCHIVEFS_X")
	logger.With("k", "v").WithGroup("g").Error("e", "a", 1)
	after := time.Now()

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), buf.String())
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, `{"timestamp":"`) {
			t.Errorf("line does not start with the timestamp: %s", line)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %v: %s", err, line)
		}
		ts, _ := m["timestamp"].(string)
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Errorf("timestamp %q is not RFC 3339: %v", ts, err)
		} else if at.Before(before.Truncate(time.Second)) || at.After(after.Add(time.Second)) {
			t.Errorf("timestamp %s is not the time of the record", ts)
		}
		if _, ok := m["time"]; ok {
			t.Errorf("line still has slog's time key: %s", line)
		}
		if lvl, _ := m["level"].(string); !lambdaLevels[lvl] {
			t.Errorf("level %q is not one Lambda reads: %s", lvl, line)
		}
		if _, ok := m["msg"].(string); !ok {
			t.Errorf("no msg: %s", line)
		}
	}
	// Grouped attributes keep their own names (only the top-level time key
	// is renamed).
	if !strings.Contains(lines[3], `"k":"v","g":{"a":1}`) {
		t.Errorf("attributes and groups: %s", lines[3])
	}
}

// TestRequestLineAtEveryLevel: the per-request line is written whatever
// S3ARCHIVEFS_LOG_LEVEL says; other lines below the level are not.
func TestRequestLineAtEveryLevel(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		t.Run(level.String(), func(t *testing.T) {
			var buf bytes.Buffer
			logger := NewLogger(&buf, level)
			ctx := context.Background()
			logger.Debug("debug line")
			logger.Info("info line")
			logger.LogAttrs(ctx, slog.LevelInfo, requestMsg, slog.String("op", "GetObject"))
			logger.Warn("warn line")
			logger.Error("error line")

			var got []string
			sc := bufio.NewScanner(&buf)
			for sc.Scan() {
				var m struct{ Msg, Level string }
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatal(err)
				}
				got = append(got, m.Msg)
			}
			want := []string{requestMsg}
			for _, l := range []struct {
				msg string
				lvl slog.Level
			}{{"debug line", slog.LevelDebug}, {"info line", slog.LevelInfo}, {"warn line", slog.LevelWarn}, {"error line", slog.LevelError}} {
				if l.lvl >= level {
					want = append(want, l.msg)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("level %s wrote %q, want %q", level, got, want)
			}
		})
	}
}

// TestRequestMessageIsWhatMonitoringCounts ties the Go constant to the
// metric filter pattern in terraform/modules/monitoring.
func TestRequestMessageIsWhatMonitoringCounts(t *testing.T) {
	tf, err := os.ReadFile("../../../terraform/modules/monitoring/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{ $.msg = \"` + requestMsg + `\" }`; !strings.Contains(string(tf), want) {
		t.Errorf("modules/monitoring/main.tf has no metric filter pattern %s", want)
	}
}
