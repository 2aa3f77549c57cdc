package olaplocal

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
)

// childAttr puts the child in its own process group and kills it if the
// endpoint itself dies, so no function process outlives it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// Stopped reports whether process pid is stopped: frozen by the endpoint
// while it waits for its next invocation, as Lambda freezes an idle
// execution environment.
func Stopped(pid int) (bool, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false, err
	}
	// "pid (comm) state ...": comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	return b[i+2] == 'T', nil
}
