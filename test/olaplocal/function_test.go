package olaplocal

import (
	"testing"
)

func TestProcessEcho(t *testing.T) {
	st := newStack(t, stackOpts{})
	body, err := st.get(t, "echo/hello world.txt")
	if err != nil {
		t.Fatal(err)
	}
	if body != "echo/hello world.txt" {
		t.Fatalf("body %q", body)
	}
}
