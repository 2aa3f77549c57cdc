package e2e

import "testing"

// TestEndToEnd runs every client against one stack: the function binary
// behind the local endpoint over versitygw, serving demoTree at prefix.
func TestEndToEnd(t *testing.T) {
	s := startStack(t)
	t.Run("cli", s.testCLI)
}
