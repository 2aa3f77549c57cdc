package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress reports bytes done out of a total: a redrawn bar on a terminal,
// otherwise a plain line at every tenth of the way (logs stay short).
type progress struct {
	w        io.Writer
	total    int64
	tty      bool
	start    time.Time
	lastStep int64 // tenths reported (plain mode)
	drawn    bool
}

func newProgress(w io.Writer, total int64, tty bool) *progress {
	return &progress{w: w, total: total, tty: tty, start: time.Now()}
}

func (p *progress) update(done int64) {
	pct := int64(100)
	if p.total > 0 {
		pct = done * 100 / p.total
	}
	rate := ""
	if secs := time.Since(p.start).Seconds(); secs > 0 {
		rate = describe(int64(float64(done)/secs)) + "/s"
	}
	if p.tty {
		const width = 30
		fill := int(pct * width / 100)
		fmt.Fprintf(p.w, "\r[%s%s] %3d%% %s / %s %s\033[K", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
			pct, describe(done), describe(p.total), rate)
		p.drawn = true
		return
	}
	if step := pct / 10; step > p.lastStep || done == p.total {
		p.lastStep = step
		fmt.Fprintf(p.w, "uploaded %s of %s (%d%%) %s\n", describe(done), describe(p.total), pct, rate)
	}
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
