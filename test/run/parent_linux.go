package main

import "syscall"

// followParent asks the kernel for SIGTERM when the parent dies: `go run`
// and make may be killed without passing the signal on, and this process
// must then still stop what it started.
func followParent() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
}

// childAttr makes a child (s3archivefs serve) get SIGTERM if this process
// dies without stopping it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
