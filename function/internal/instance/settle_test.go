package instance

import (
	"testing"
	"time"
)

func TestSettleLimit(t *testing.T) {
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		timeout  time.Duration
		deadline time.Time
		want     time.Duration
	}{
		{"no deadline", 2 * time.Second, time.Time{}, 2 * time.Second},
		{"turned off", 0, now.Add(time.Minute), 0},
		{"deadline far", 2 * time.Second, now.Add(time.Minute), 2 * time.Second},
		{"deadline near: up to its margin", 2 * time.Second, now.Add(1200 * time.Millisecond), 700 * time.Millisecond},
		{"deadline within the margin", 2 * time.Second, now.Add(300 * time.Millisecond), -200 * time.Millisecond},
		{"deadline passed", 2 * time.Second, now.Add(-time.Second), -1500 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := settleLimit(tt.timeout, tt.deadline, now); got != tt.want {
			t.Errorf("%s: settleLimit = %v, want %v", tt.name, got, tt.want)
		}
	}
}
