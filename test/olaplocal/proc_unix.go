//go:build unix

package olaplocal

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// killGroup kills the child and everything it started: children run in
// their own process group.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// freezeGroup stops the child and everything it started, as Lambda
// freezes an idle execution environment; thawGroup resumes them.
func freezeGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGSTOP) }

func thawGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGCONT) }

// WaitStopped waits until every process of pids is stopped (Stopped):
// each has asked for its next invocation and been frozen.
func WaitStopped(ctx context.Context, pids []int) error {
	for {
		all := true
		for _, pid := range pids {
			stopped, err := Stopped(pid)
			if err != nil {
				return err
			}
			all = all && stopped
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}
