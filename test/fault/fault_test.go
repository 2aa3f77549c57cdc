package fault

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const seed = 20261201

// draw returns the i-th GET of a run, the same in every run.
func (w *world) draw(salt uint64) func(i int) get {
	return func(i int) get { return w.mix(rand.New(rand.NewPCG(seed^salt, uint64(i)))) }
}

func TestRandomGetsUnderFaults(t *testing.T) {
	w := newWorld(t)
	// A small cache cap keeps chunks leaving the cache, so GETs keep
	// reaching S3 (and its faults) all run long.
	s := w.start(t, 4, "", "S3ARCHIVEFS_CACHE_MAX_BYTES=1Mi")
	ctx := t.Context()
	w.s3.ResetStats()
	w.s3.SetRandomFaults(&s3test.RandomFaults{Rate: 0.10, Seed: seed, StallFor: 3 * time.Second})
	start := time.Now()
	tl := run(ctx, s.client, 1000, 8, w.draw(1))
	w.s3.SetRandomFaults(nil)
	st := w.s3.Stats()
	t.Logf("under faults (%v): %s", time.Since(start).Round(time.Millisecond), tl)
	t.Logf("S3 requests %d (%v), faulted %d (%.1f%%): %s", st.Total(), st.Requests, st.Faults,
		100*float64(st.Faults)/float64(max(1, st.Total())), byKind(st))
	if tl.wrong != 0 {
		t.Errorf("%d wrong answers served as success, e.g. %v", tl.wrong, tl.examples)
	}
	if tl.slowest > functionTimeout+5*time.Second {
		t.Errorf("slowest GET took %v, past the function timeout of %v", tl.slowest, functionTimeout)
	}
	if rate := float64(st.Faults) / float64(st.Total()); st.Total() < 800 || rate < 0.07 || rate > 0.13 {
		t.Errorf("%d S3 requests, %.1f%% faulted: want at least 800 with about 10%% faulted", st.Total(), 100*rate)
	}
	for _, k := range s3test.AllFaults {
		if st.ByKind[k] == 0 {
			t.Errorf("no %v fault fired", k)
		}
	}
	if tl.ok < 900 {
		t.Errorf("only %d of 1000 GETs succeeded: retries do not absorb 10%% of faults", tl.ok)
	}

	// Heavy faults: 70% of S3 requests fail (no stalls, for time), so
	// retries run out and clients see failures. A failure must show as an
	// error or a broken body, never as a success with wrong bytes.
	w.s3.ResetStats()
	w.s3.SetRandomFaults(&s3test.RandomFaults{Rate: 0.7, Seed: seed + 1, Kinds: []s3test.FaultKind{
		s3test.SlowDown, s3test.InternalError, s3test.Reset, s3test.ShortBody,
		s3test.ResetBeforeHeaders, s3test.ResetAfterHeaders, s3test.ShortRange}})
	heavy := run(ctx, s.client, 200, 8, w.draw(8))
	w.s3.SetRandomFaults(nil)
	st = w.s3.Stats()
	t.Logf("under 70%% faults: %s; S3 requests %d, faulted %d: %s", heavy, st.Total(), st.Faults, byKind(st))
	if heavy.wrong != 0 {
		t.Errorf("under heavy faults, %d wrong answers served as success, e.g. %v", heavy.wrong, heavy.examples)
	}
	if heavy.slowest > functionTimeout+5*time.Second {
		t.Errorf("under heavy faults the slowest GET took %v, past the function timeout of %v", heavy.slowest, functionTimeout)
	}
	if heavy.ok == heavy.gets {
		t.Error("under 70% faults every GET succeeded: the failure path was not exercised")
	}

	// Recovery: with the faults gone, every GET is good.
	after := run(ctx, s.client, 200, 8, w.draw(2))
	t.Logf("after the faults: %s", after)
	if after.ok != after.gets {
		t.Errorf("after the faults stopped: %s, want every GET good", after)
	}
}

func byKind(st s3test.Stats) string {
	var b bytes.Buffer
	for _, k := range s3test.AllFaults {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k.String() + " " + strconv.FormatInt(st.ByKind[k], 10))
	}
	return b.String()
}

// TestSharedCache runs four function processes on one cold cache directory
// under 32 concurrent clients: they race to fetch and write the same
// chunks, and none may serve a torn or foreign one.
func TestSharedCache(t *testing.T) {
	w := newWorld(t)
	s := w.start(t, 4, "")
	tl := run(t.Context(), s.client, 640, 32, w.draw(3))
	t.Logf("4 processes, 32 clients: %s", tl)
	if n := s.events.count(`"msg":"function process started"`); n != 4 {
		t.Errorf("%d function processes started, want 4 sharing the cache", n)
	}
	if tl.wrong != 0 || tl.ok != tl.gets {
		t.Errorf("%s, e.g. %v: want every GET good", tl, tl.examples)
	}
}

// TestCheckerCatchesWrongByte shows that the checker reads every byte: a
// proxy between the endpoint and the client flips one byte of one answer,
// and exactly that answer is counted wrong.
func TestCheckerCatchesWrongByte(t *testing.T) {
	w := newWorld(t)
	s := w.start(t, 1, "")
	flip := &flipper{target: s.url, at: make(chan int64, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: flip}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c := newClient("http://" + ln.Addr().String())

	large := w.large[1]
	g := get{key: large.key, rng: "bytes=1000-200999", want: large.data[1000:201_000], status: 206}
	if o := check(t.Context(), c, g); o.wrong != "" || o.err != "" {
		t.Fatalf("untouched answer: %+v", o)
	}
	flip.arm(150_000)
	o := check(t.Context(), c, g)
	if o.wrong == "" {
		t.Fatalf("one flipped byte at 150000 went unnoticed: %+v", o)
	}
	t.Logf("caught: %s", o.wrong)
	if o := check(t.Context(), c, g); o.wrong != "" || o.err != "" {
		t.Fatalf("the next answer, untouched: %+v", o)
	}
}

// flipper forwards to target and, when armed, flips the byte at one
// offset of the next response body.
type flipper struct {
	target string
	at     chan int64
}

func (f *flipper) arm(off int64) {
	f.at <- off
}

func (f *flipper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, f.target+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.Host = r.Host // signed by the client
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = slices.Clone(v)
	}
	w.WriteHeader(resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	select {
	case off := <-f.at:
		if off < int64(len(body)) {
			body[off] ^= 0x01
		}
	default:
	}
	w.Write(body)
}
