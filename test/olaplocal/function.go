package olaplocal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// Function is the Lambda function behind the endpoint: one event in, the
// function's JSON result out. Process runs a real binary through the Lambda
// Runtime API; HandlerFunc runs Go code in-process for fast tests.
type Function interface {
	Invoke(ctx context.Context, inv Invocation) ([]byte, error)
}

// Invocation is one event for the function.
type Invocation struct {
	RequestID string
	Payload   []byte
}

// FunctionError is a failed invocation, classified as Lambda reports it.
type FunctionError struct {
	// Type is the runtime's errorType, or one Lambda sets itself:
	// Runtime.ExitError, Runtime.InitError, Sandbox.Timedout...
	Type    string
	Message string
	Timeout bool
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("%s: %s", e.Type, e.Message)
}

// maxResponse is Lambda's limit on a synchronous invocation's response.
const maxResponse = 6 << 20

// HandlerFunc is an in-process function: no process, no Runtime API. A
// handler that overruns timeout is abandoned (its context is cancelled) and
// the invocation fails as a Lambda timeout would.
type HandlerFunc struct {
	Handle  func(ctx context.Context, event []byte) ([]byte, error)
	Timeout time.Duration
}

// Invoke runs the handler with Lambda's deadline semantics.
func (h HandlerFunc) Invoke(ctx context.Context, inv Invocation) ([]byte, error) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: &FunctionError{Type: "Runtime.Panic", Message: fmt.Sprintf("%v\n%s", p, debug.Stack())}}
			}
		}()
		out, err := h.Handle(ctx, inv.Payload)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		var fe *FunctionError
		if r.err != nil && !errors.As(r.err, &fe) {
			r.err = &FunctionError{Type: "errorString", Message: r.err.Error()}
		}
		if r.err == nil && len(r.out) > maxResponse {
			r.err = &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."}
		}
		return r.out, r.err
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ctx.Err()
		}
		return nil, &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds()), Timeout: true}
	}
}

// BuildBootstrap compiles the function's bootstrap for this machine into
// out, as the Makefile packages it (no cgo, lambda.norpc), from the module
// that holds the current directory.
func BuildBootstrap(out string) error {
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("olaplocal: go env GOMOD: %w", err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", out, "./function/cmd/bootstrap")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("olaplocal: building the function: %w\n%s", err, msg)
	}
	return nil
}

// WithBootstrap builds the bootstrap into a temporary directory, runs run
// with its path and removes the directory: the TestMain of every suite
// that runs the real function. suite names it in error messages.
func WithBootstrap(suite string, run func(bootstrap string) int) int {
	dir, err := os.MkdirTemp("", "s3archivefs-"+suite+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, suite+":", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bootstrap := filepath.Join(dir, "bootstrap")
	if err := BuildBootstrap(bootstrap); err != nil {
		fmt.Fprintln(os.Stderr, suite+":", err)
		return 1
	}
	return run(bootstrap)
}
