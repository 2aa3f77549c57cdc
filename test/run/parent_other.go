//go:build !linux

package main

// followParent has no portable equivalent of Linux's parent-death signal.
func followParent() {}
