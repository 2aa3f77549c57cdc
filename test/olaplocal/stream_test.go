package olaplocal

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStreamLimit checks that a streamed response stops at the limit with
// Lambda's error, after delivering exactly the bytes up to it.
func TestStreamLimit(t *testing.T) {
	for _, tc := range []struct {
		size    int
		wantErr bool
	}{{10, false}, {11, true}, {100000, true}} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("a", tc.size)))
		b := &streamBody{c: &call{done: make(chan struct{})}, req: req, limit: 10, ended: make(chan struct{})}
		got, err := io.ReadAll(b)
		var fe *FunctionError
		switch {
		case !tc.wantErr && (err != nil || len(got) != tc.size):
			t.Errorf("%d bytes: read %d, %v", tc.size, len(got), err)
		case tc.wantErr && (!errors.As(err, &fe) || fe.Type != "Function.ResponseSizeTooLarge" || len(got) != 10):
			t.Errorf("%d bytes: read %d, %v", tc.size, len(got), err)
		}
		if errors.As(b.failure(), &fe) != tc.wantErr {
			t.Errorf("%d bytes: failure %v", tc.size, b.failure())
		}
	}
}
