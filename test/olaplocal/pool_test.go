package olaplocal

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// openStream starts a GET of one of the testfunc's streams and reads its
// first line: the function then holds its instance for up to 10 s (the
// stream mode until release).
func openStream(t *testing.T, st *stack, key string) io.ReadCloser {
	t.Helper()
	out, err := st.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out.Body)
	if l, _ := br.ReadString('\n'); l != "first\n" {
		t.Fatalf("first line %q", l)
	}
	return out.Body
}

func pidOf(t *testing.T, st *stack) int {
	t.Helper()
	body, err := st.get(t, "ctx/pid")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Pid int }
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	return v.Pid
}

// TestInstancesOnDemand: invocations one after another reuse one warm
// process; a new one starts only when every running one is busy, up to
// the limit, after which invocations wait.
func TestInstancesOnDemand(t *testing.T) {
	st := newStack(t, stackOpts{instances: 3, timeout: 20 * time.Second})
	first := pidOf(t, st)
	for range 4 {
		// A client has its answer before the function has returned: give
		// the instance the moment it needs to be free again.
		time.Sleep(200 * time.Millisecond)
		if pid := pidOf(t, st); pid != first {
			t.Fatalf("sequential invocations ran in processes %d and %d: a warm idle one must be reused", first, pid)
		}
	}
	time.Sleep(200 * time.Millisecond)
	held := []io.ReadCloser{openStream(t, st, "stream/x")} // busy: first process
	start := time.Now()
	second := pidOf(t, st)
	if second == first || time.Since(start) > 5*time.Second {
		t.Fatalf("with the first process busy: pid %d after %v, want a new process at once", second, time.Since(start))
	}
	held = append(held, openStream(t, st, "stream/x"), openStream(t, st, "stream/x")) // all three busy
	waited := make(chan int, 1)
	go func() { waited <- pidOf(t, st) }()
	select {
	case pid := <-waited:
		t.Fatalf("a fourth invocation ran (pid %d) beyond the limit of 3", pid)
	case <-time.After(500 * time.Millisecond):
	}
	os.WriteFile(filepath.Join(st.dir, "release"), nil, 0o644)
	for _, b := range held {
		io.Copy(io.Discard, b)
		b.Close()
	}
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting invocation never ran")
	}
}

// TestAbandonedStreamIsCut: a client that disconnects mid-stream frees the
// function's only instance at once (its WriteGetObjectResponse is cut),
// not when the function finishes (10 s here) or times out. (A function
// whose body stops producing bytes is noticed only at its next write: Go's
// HTTP client waits for the request body's writer before it returns.)
func TestAbandonedStreamIsCut(t *testing.T) {
	st := newStack(t, stackOpts{instances: 1, timeout: 30 * time.Second})
	body := openStream(t, st, "trickle/x")
	body.Close() // the client goes away; the function would stream on
	start := time.Now()
	if got, err := st.get(t, "echo/next"); err != nil || got != "echo/next" {
		t.Fatalf("next GET: %q, %v", got, err)
	}
	// The testfunc's SDK may sleep its retry backoff (up to 2 s) before
	// it gives the cut WriteGetObjectResponse up.
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the next GET waited %v for the instance: the abandoned stream was not cut", d)
	}
}

// TestIdleInstanceFrozen: a process that has asked for its next event
// while none waits is stopped, as Lambda freezes an idle execution
// environment, and runs again for its next invocation.
func TestIdleInstanceFrozen(t *testing.T) {
	st := newStack(t, stackOpts{instances: 1, timeout: 20 * time.Second})
	pid := pidOf(t, st)
	waitStopped(t, pid, "after its invocation")
	if again := pidOf(t, st); again != pid {
		t.Fatalf("the next invocation ran in process %d, want the frozen %d", again, pid)
	}
	body := openStream(t, st, "stream/x")
	if stopped, err := Stopped(pid); err != nil || stopped {
		t.Errorf("while it serves an invocation: stopped %v, %v; want it running", stopped, err)
	}
	os.WriteFile(filepath.Join(st.dir, "release"), nil, 0o644)
	io.Copy(io.Discard, body)
	body.Close()
	waitStopped(t, pid, "after its streamed invocation")
}

func waitStopped(t *testing.T, pid int, when string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := WaitStopped(ctx, []int{pid}); err != nil {
		t.Fatalf("process %d %s: %v, want it stopped", pid, when, err)
	}
}

// TestInstancesStartAtOnce: eight invocations at once start eight
// processes, each asking for its first event as soon as it can (before
// the endpoint may have recorded it): every one is served.
func TestInstancesStartAtOnce(t *testing.T) {
	st := newStack(t, stackOpts{instances: 8, timeout: 20 * time.Second})
	pids := make(chan int, 8)
	for range 8 {
		go func() {
			body, err := st.get(t, "ctx/pid")
			var v struct{ Pid int }
			if err != nil || json.Unmarshal([]byte(body), &v) != nil {
				t.Errorf("GET: %q, %v", body, err)
			}
			pids <- v.Pid
		}()
	}
	seen := map[int]bool{}
	for range 8 {
		seen[<-pids] = true
	}
	if len(seen) < 2 {
		t.Errorf("8 invocations at once ran in processes %v, want several", seen)
	}
}
