package s3test

import "syscall"

// sysProcAttr puts versitygw in its own process group, so Close kills all
// of it, and has the kernel kill it if this process dies first (a test
// binary killed by a timeout runs no cleanup).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
