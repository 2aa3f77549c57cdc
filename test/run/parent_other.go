//go:build !linux

package main

import "syscall"

// followParent has no portable equivalent of Linux's parent-death signal.
func followParent() {}

// childAttr has nothing to add off Linux.
func childAttr() *syscall.SysProcAttr { return nil }
