package s3src

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// defaultStall is how long an attempt may wait on S3 without progress (no
// response headers, or no body bytes) before it is abandoned and retried.
// S3's guidance for latency-sensitive reads of less than 512 KB is to retry
// after 2 seconds; every read here is a chunk of at most a few MiB.
const defaultStall = 2 * time.Second

// errStalled is an attempt abandoned by its watchdog. It is retryable.
var errStalled = errors.New("no progress from S3")

// watchdog cancels one attempt's context when S3 makes no progress for
// its limit while someone waits on it. It is armed only while a call or a
// body Read is in progress, so a slow consumer never trips it.
type watchdog struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	limit  time.Duration
	timer  *time.Timer
}

func newWatchdog(parent context.Context, limit time.Duration) *watchdog {
	ctx, cancel := context.WithCancelCause(parent)
	w := &watchdog{ctx: ctx, cancel: cancel, limit: limit}
	w.timer = time.AfterFunc(limit, func() { cancel(errStalled) })
	return w
}

// arm starts waiting; disarm stops (progress was made).
func (w *watchdog) arm()    { w.timer.Reset(w.limit) }
func (w *watchdog) disarm() { w.timer.Stop() }

// stop releases the attempt's context.
func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(context.Canceled)
}

// fired reports whether the watchdog, not the caller, ended the attempt.
func (w *watchdog) fired() bool {
	return errors.Is(context.Cause(w.ctx), errStalled) && w.ctx.Err() != nil
}

// explain replaces the context error of an attempt the watchdog ended, so
// it is retried rather than taken for the caller's cancellation.
func (w *watchdog) explain(err error) error {
	if err != nil && w.fired() {
		return fmt.Errorf("%w for %v (%v)", errStalled, w.limit, err)
	}
	return err
}

// watchedBody is a response body read under its attempt's watchdog.
type watchedBody struct {
	body interface {
		Read([]byte) (int, error)
		Close() error
	}
	w *watchdog
}

func (b watchedBody) Read(p []byte) (int, error) {
	b.w.arm()
	n, err := b.body.Read(p)
	b.w.disarm()
	return n, b.w.explain(err)
}

func (b watchedBody) Close() error {
	err := b.body.Close()
	b.w.stop()
	return err
}
