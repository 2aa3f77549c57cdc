package main

import "syscall"

// followParent asks the kernel for SIGTERM when the parent dies: `go run`
// and make may be killed without passing the signal on, and this process
// must then still stop what it started.
func followParent() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
}
