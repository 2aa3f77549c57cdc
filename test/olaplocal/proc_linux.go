package olaplocal

import "syscall"

// childAttr puts the child in its own process group and kills it if the
// endpoint itself dies, so no function process outlives it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
