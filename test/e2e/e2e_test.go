package e2e

import "testing"

// TestEndToEnd runs every client against one stack: the function binary
// behind the local endpoint over versitygw, serving demoTree at prefix.
// The log checks run last, over every request the others made.
func TestEndToEnd(t *testing.T) {
	s := startStack(t)
	t.Run("cli", s.testCLI)
	t.Run("cli-passthrough", s.testCLIPassthrough)
	t.Run("sdk", s.testSDK)
	t.Run("logs", s.testLogs)
}
