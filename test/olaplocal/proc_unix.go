//go:build unix

package olaplocal

import (
	"os/exec"
	"syscall"
)

// killGroup kills the child and everything it started: children run in
// their own process group.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
