package reqstats

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// Line is the one log line a front writes per request: op, key, archive,
// status, bytes out, the counters, duration, and for a failure its S3
// error code and internal cause (never sent to the client; never a
// presigned URL or a signature).
type Line struct {
	RequestID, Op, Key, Archive string
	Status                      int
	BytesOut                    int64
	ErrCode, Cause              string
}

// Log writes the line with the counters c and the duration d, at level
// Error when it has a cause.
func (l *Line) Log(ctx context.Context, logger *slog.Logger, c *Counters, d time.Duration) {
	attrs := []slog.Attr{
		slog.String("request_id", l.RequestID),
		slog.String("op", l.Op),
		slog.String("key", l.Key),
		slog.Int("status", l.Status),
		slog.Int64("bytes_out", l.BytesOut),
		slog.Int64("s3_requests", c.S3Requests.Load()),
		slog.Int64("s3_bytes_in", c.S3BytesIn.Load()),
		slog.Int64("cache_hits", c.CacheHits.Load()),
		slog.Int64("cache_misses", c.CacheMisses.Load()),
		slog.Int64("cache_corrupt", c.CacheCorrupt.Load()),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	}
	if l.Archive != "" {
		attrs = append(attrs, slog.String("archive", l.Archive))
	}
	if l.ErrCode != "" {
		attrs = append(attrs, slog.String("error_code", l.ErrCode))
	}
	level := slog.LevelInfo
	if l.Cause != "" {
		attrs = append(attrs, slog.String("err", l.Cause))
		level = slog.LevelError
	}
	logger.LogAttrs(ctx, level, "request", attrs...)
}

// SetAnswer records the core's answer: status, archive, and for an error
// its code and, for a 5xx, its internal cause (which may name an archive:
// logged, never sent).
func (l *Line) SetAnswer(a *s3api.Answer) {
	l.Archive, l.Status = a.Archive, a.Status
	if a.Err == nil {
		return
	}
	l.ErrCode = a.Err.Code
	if a.Err.Status >= 500 && a.Err.Cause != nil {
		l.Cause = a.Err.Cause.Error()
	}
}

// BodyCounter counts the body bytes delivered to the client into N and
// keeps the error that ended the body, so a front can say why a stream
// broke.
type BodyCounter struct {
	R   io.Reader
	N   *int64
	Err error
}

func (c *BodyCounter) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	*c.N += int64(n)
	if err != nil {
		c.Err = err
	}
	return n, err
}
