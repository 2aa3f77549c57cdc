//go:build !linux

package s3test

import "syscall"

// sysProcAttr puts versitygw in its own process group, so Close kills all
// of it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
