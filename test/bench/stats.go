package main

import (
	"fmt"
	"slices"
	"time"
)

// Samples are repeated measurements of one quantity.
type Samples []float64

// Min is the smallest sample: on a shared machine, the least disturbed run.
func (s Samples) Min() float64 {
	if len(s) == 0 {
		return 0
	}
	return slices.Min(s)
}

// Median is the middle sample (the mean of the two middle ones).
func (s Samples) Median() float64 {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	m := len(c) / 2
	if len(c)%2 == 0 {
		return (c[m-1] + c[m]) / 2
	}
	return c[m]
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// fmtDur renders seconds for a table: 3 significant digits, in ms below
// one second.
func fmtDur(s float64) string {
	switch {
	case s < 0.001:
		return fmt.Sprintf("%.2f ms", s*1e3)
	case s < 1:
		return fmt.Sprintf("%.3g ms", s*1e3)
	}
	return fmt.Sprintf("%.3g s", s)
}

// fmtMinMed renders "min / median" of durations in seconds.
func fmtMinMed(s Samples) string {
	return fmtDur(s.Min()) + " / " + fmtDur(s.Median())
}

// ratio renders a/b as "1.23x"; "n/a" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		if a == 0 {
			return "1x"
		}
		return "n/a"
	}
	r := a / b
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0fx", r)
	case r >= 10:
		return fmt.Sprintf("%.1fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

// humanBytes renders a byte count with a binary unit.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", f/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", f/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", f/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
