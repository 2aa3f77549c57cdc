//go:build unix && !linux

package olaplocal

import (
	"errors"
	"syscall"
)

// childAttr puts the child in its own process group.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// Stopped needs Linux's /proc.
func Stopped(pid int) (bool, error) {
	return false, errors.New("olaplocal: a process's state is read from Linux's /proc")
}
