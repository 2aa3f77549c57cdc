package e2e

import "testing"

// TestEndToEnd runs every client against each front: the same function
// binary behind the local Object Lambda access point and behind the local
// function URL, over versitygw, serving demoTree at prefix. The log
// checks run last, over every request the others made.
func TestEndToEnd(t *testing.T) {
	t.Run(frontObjectLambda, func(t *testing.T) {
		s := startStack(t, frontObjectLambda)
		t.Run("cli", s.testCLI)
		t.Run("cli-passthrough", s.testCLIPassthrough)
		t.Run("sdk", s.testSDK)
		t.Run("clients", s.testClients)
		t.Run("logs", s.testLogs)
	})
	t.Run(frontFunctionURL, func(t *testing.T) {
		s := startStack(t, frontFunctionURL)
		t.Run("cli", s.testCLI)
		t.Run("sdk", s.testSDK)
		t.Run("clients", s.testClients)
		t.Run("function-url", s.testFunctionURL)
		t.Run("logs", s.testLogs)
	})
	t.Logf("client matrix (checks passed/made; a whole subtest counts as one check for the AWS CLI and the Go SDK):\n%s", matrixTable())
}
