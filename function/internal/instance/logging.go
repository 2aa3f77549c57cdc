package instance

import (
	"context"
	"io"
	"log/slog"
)

// requestMsg is the message of the one line per request that the
// monitoring module's metric filters and alarms count
// ({ $.msg = "request" }).
const requestMsg = "request"

// NewLogger writes JSON lines as Lambda's JSON log format reads them: an
// RFC 3339 "timestamp" (slog's "time" would be ignored, and a line without
// a valid timestamp is filed under INFO) and an upper-case "level". Lines
// below level are dropped here, not by Lambda (whose filter the Terraform
// module keeps open), except the per-request line, which is written at any
// level so that the metrics built on it never go blind.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	inner := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				a.Key = "timestamp"
			}
			return a
		},
	})
	return slog.New(&levelFilter{inner: inner, level: level})
}

// levelFilter drops records below level, except the per-request line.
type levelFilter struct {
	inner slog.Handler
	level slog.Leveler
}

func (f *levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	// The message is not known yet: let INFO through to Handle, which
	// keeps only the request line of those.
	return l >= f.level.Level() || l >= slog.LevelInfo
}

func (f *levelFilter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < f.level.Level() && r.Message != requestMsg {
		return nil
	}
	return f.inner.Handle(ctx, r)
}

func (f *levelFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &levelFilter{inner: f.inner.WithAttrs(attrs), level: f.level}
}

func (f *levelFilter) WithGroup(name string) slog.Handler {
	return &levelFilter{inner: f.inner.WithGroup(name), level: f.level}
}
