package s3test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FaultKind is what an injected fault does to a response.
type FaultKind int

const (
	// SlowDown answers 503 with the S3 error code SlowDown, without
	// forwarding the request.
	SlowDown FaultKind = iota + 1
	// InternalError answers 500 InternalError, without forwarding.
	InternalError
	// Reset forwards the request, sends half of the response body (or
	// nothing when it is empty) and resets the connection (TCP RST).
	Reset
	// ShortBody forwards the request, announces the full Content-Length,
	// sends half of the body and closes the connection.
	ShortBody
	// ResetBeforeHeaders resets the connection before any response byte.
	ResetBeforeHeaders
	// ResetAfterHeaders forwards the request, sends the status line and
	// headers, and resets the connection before the first body byte.
	ResetAfterHeaders
	// StallHeaders holds the response back for the fault's StallFor (or
	// until the client goes away), then forwards it whole.
	StallHeaders
	// StallBody sends the headers and half of the body, holds the rest
	// back for StallFor (or until the client goes away), then sends it.
	StallBody
	// ShortRange turns a 206 into a shorter, self-consistent one: the first
	// half of the range, with Content-Range and Content-Length to match.
	// Other responses pass unchanged.
	ShortRange
)

// AllFaults lists every kind, for randomised fault plans.
var AllFaults = []FaultKind{SlowDown, InternalError, Reset, ShortBody,
	ResetBeforeHeaders, ResetAfterHeaders, StallHeaders, StallBody, ShortRange}

// defaultStall is how long a stall lasts when the fault does not say.
const defaultStall = 10 * time.Second

func (k FaultKind) String() string {
	switch k {
	case SlowDown:
		return "SlowDown"
	case InternalError:
		return "InternalError"
	case Reset:
		return "Reset"
	case ShortBody:
		return "ShortBody"
	case ResetBeforeHeaders:
		return "ResetBeforeHeaders"
	case ResetAfterHeaders:
		return "ResetAfterHeaders"
	case StallHeaders:
		return "StallHeaders"
	case StallBody:
		return "StallBody"
	case ShortRange:
		return "ShortRange"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault applies Kind to the next Times requests (0 means 1) whose method
// is Method ("" any) and whose URL path contains Path ("" any). StallFor is
// the length of a stall (default 10 s).
type Fault struct {
	Kind     FaultKind
	Method   string
	Path     string
	Times    int
	StallFor time.Duration
}

// RandomFaults faults each matching request with probability Rate, with a
// kind drawn uniformly from Kinds (default AllFaults), from a generator
// seeded with Seed so that a run can be repeated.
type RandomFaults struct {
	Rate     float64
	Kinds    []FaultKind
	Method   string // "" any
	Path     string // "" any
	Seed     uint64
	StallFor time.Duration
}

func (f Fault) matches(r *http.Request) bool {
	return (f.Method == "" || f.Method == r.Method) && strings.Contains(r.URL.Path, f.Path)
}

// Stats are what the proxy saw.
type Stats struct {
	// Requests counts requests by HTTP method, faulted ones included.
	Requests map[string]int64
	// BodyBytes counts response body bytes sent to clients.
	BodyBytes int64
	// Faults counts injected faults that fired; ByKind splits them.
	Faults int64
	ByKind map[FaultKind]int64
	// Active counts requests in flight (not reset by a reset).
	Active int64
	// Spans are the requests' lifetimes, from arrival to the last byte
	// sent, in the order they ended (the first maxSpans after a reset).
	Spans []Span
}

// maxSpans bounds the spans kept between resets.
const maxSpans = 1 << 16

// Span is one request's lifetime at the proxy.
type Span struct {
	Start, End time.Time
	// Request is the method, path and Range header, for traces.
	Request string
	Bytes   int64 // response body bytes sent
}

// Rounds is the number of sequential round trips the requests took: the
// longest chain of requests each of which arrived after the one before it
// had ended. Requests made in parallel count once.
func (s Stats) Rounds() int {
	spans := slices.Clone(s.Spans)
	slices.SortFunc(spans, func(a, b Span) int { return a.End.Compare(b.End) })
	depth := make([]int, len(spans))
	best := 0
	for i, r := range spans {
		depth[i] = 1
		for j := range i {
			if !spans[j].End.After(r.Start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		best = max(best, depth[i])
	}
	return best
}

// Total is the number of requests of any method.
func (s Stats) Total() int64 {
	var n int64
	for _, v := range s.Requests {
		n += v
	}
	return n
}

type proxy struct {
	backend   string
	latency   time.Duration
	bps       int64
	transport *http.Transport

	active atomic.Int64

	mu     sync.Mutex
	st     Stats
	faults []Fault
	random *RandomFaults
	rng    *rand.Rand
}

func newProxy(backend string, latency time.Duration, bps int64) *proxy {
	return &proxy{
		backend: backend,
		latency: latency,
		bps:     bps,
		transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			DisableCompression:  true,
			MaxIdleConnsPerHost: 64,
		},
		st: Stats{Requests: map[string]int64{}, ByKind: map[FaultKind]int64{}},
	}
}

func (p *proxy) stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.st
	s.Spans = slices.Clone(p.st.Spans)
	s.Active = p.active.Load()
	s.Requests = maps.Clone(p.st.Requests)
	s.ByKind = maps.Clone(p.st.ByKind)
	return s
}

func (p *proxy) resetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st = Stats{Requests: map[string]int64{}, ByKind: map[FaultKind]int64{}}
}

func (p *proxy) setRandom(r *RandomFaults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.random, p.rng = nil, nil
	if r != nil && r.Rate > 0 {
		c := *r
		if len(c.Kinds) == 0 {
			c.Kinds = AllFaults
		}
		p.random, p.rng = &c, rand.New(rand.NewPCG(c.Seed, c.Seed^0x5eed))
	}
}

func (p *proxy) inject(fs ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range fs {
		if f.Times <= 0 {
			f.Times = 1
		}
		p.faults = append(p.faults, f)
	}
}

// take counts r and returns the fault that applies to it, if any: a
// queued one first, else a random draw.
func (p *proxy) take(r *http.Request) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Requests[r.Method]++
	for i := range p.faults {
		f := p.faults[i]
		if !f.matches(r) {
			continue
		}
		if p.faults[i].Times--; p.faults[i].Times == 0 {
			p.faults = append(p.faults[:i], p.faults[i+1:]...)
		}
		p.st.Faults++
		p.st.ByKind[f.Kind]++
		return f, true
	}
	if rf := p.random; rf != nil {
		f := Fault{Method: rf.Method, Path: rf.Path, StallFor: rf.StallFor}
		if f.matches(r) && p.rng.Float64() < rf.Rate {
			f.Kind = rf.Kinds[p.rng.IntN(len(rf.Kinds))]
			p.st.Faults++
			p.st.ByKind[f.Kind]++
			return f, true
		}
	}
	return Fault{}, false
}

func (p *proxy) addBytes(n int) {
	p.mu.Lock()
	p.st.BodyBytes += int64(n)
	p.mu.Unlock()
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	p.active.Add(1)
	sent := new(int64)
	defer func() {
		p.active.Add(-1)
		p.mu.Lock()
		if len(p.st.Spans) < maxSpans {
			req := strings.TrimSpace(r.Method + " " + r.URL.Path + " " + r.Header.Get("Range"))
			p.st.Spans = append(p.st.Spans, Span{Start: start, End: time.Now(), Request: req, Bytes: *sent})
		}
		p.mu.Unlock()
	}()
	fault, faulted := p.take(r)
	if !sleepCtx(r.Context(), p.latency) {
		return
	}
	stall := fault.StallFor
	if stall <= 0 {
		stall = defaultStall
	}
	switch fault.Kind {
	case SlowDown:
		p.writeError(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	case InternalError:
		p.writeError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	case ResetBeforeHeaders:
		hangUp(w, true)
		return
	case StallHeaders:
		if !sleepCtx(r.Context(), stall) {
			return
		}
	}

	out := r.Clone(r.Context())
	out.URL.Scheme = "http"
	out.URL.Host = p.backend
	out.Host = r.Host // signed by the client: must reach versitygw unchanged
	out.RequestURI = ""
	if r.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		p.writeError(w, http.StatusBadGateway, "BadGateway", err.Error())
		return
	}
	defer resp.Body.Close()

	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	if resp.ContentLength >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	hasBody := r.Method != http.MethodHead
	half := int64(0)
	if resp.ContentLength > 0 && hasBody {
		half = resp.ContentLength / 2
	}
	if faulted {
		switch fault.Kind {
		case Reset, ShortBody:
			p.breakResponse(w, r, resp, fault.Kind)
			return
		case ResetAfterHeaders:
			w.WriteHeader(resp.StatusCode)
			http.NewResponseController(w).Flush()
			hangUp(w, true)
			return
		case StallBody:
			w.WriteHeader(resp.StatusCode)
			*sent += p.copyBody(r.Context(), w, resp.Body, half)
			http.NewResponseController(w).Flush()
			if !sleepCtx(r.Context(), stall) {
				return
			}
		case ShortRange:
			if shortenRange(w.Header(), resp, half) {
				w.WriteHeader(resp.StatusCode)
				*sent += p.copyBody(r.Context(), w, resp.Body, half)
				return
			}
		}
	}
	if !faulted || fault.Kind != StallBody {
		w.WriteHeader(resp.StatusCode)
	}
	if hasBody {
		*sent += p.copyBody(r.Context(), w, resp.Body, -1)
	}
}

// shortenRange rewrites the headers of a 206 of more than one byte to
// announce only its first half bytes. It reports whether it did.
func shortenRange(h http.Header, resp *http.Response, half int64) bool {
	if resp.StatusCode != http.StatusPartialContent || half <= 0 {
		return false
	}
	var first, last, size int64
	if _, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-%d/%d", &first, &last, &size); err != nil || last-first+1 != resp.ContentLength {
		return false
	}
	h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, first+half-1, size))
	h.Set("Content-Length", strconv.FormatInt(half, 10))
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
			h.Del(k) // a checksum of the whole object no longer applies
		}
	}
	return true
}

// hangUp closes the client's connection under it; reset sends a TCP RST
// instead of a FIN.
func hangUp(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}

// breakResponse sends half of the body, then resets or closes the
// connection under the client.
func (p *proxy) breakResponse(w http.ResponseWriter, r *http.Request, resp *http.Response, fault FaultKind) {
	rc := http.NewResponseController(w)
	half := int64(0)
	if resp.ContentLength > 0 && r.Method != http.MethodHead {
		half = resp.ContentLength / 2
	}
	if half > 0 || fault == ShortBody {
		w.WriteHeader(resp.StatusCode)
		p.copyBody(r.Context(), w, resp.Body, half)
		rc.Flush()
	}
	hangUp(w, fault == Reset)
}

// copyBody copies at most limit bytes (all when limit < 0), throttled.
func (p *proxy) copyBody(ctx context.Context, w http.ResponseWriter, body io.Reader, limit int64) (sent int64) {
	if limit >= 0 {
		body = io.LimitReader(body, limit)
	}
	chunk := 32 << 10
	if p.bps > 0 {
		chunk = int(max(1, min(int64(chunk), p.bps/20)))
	}
	buf := make([]byte, chunk)
	start := time.Now()
	for {
		n, err := body.Read(buf)
		if n > 0 {
			sent += int64(n)
			if p.bps > 0 {
				// Wait before writing, so the last bytes arrive no
				// earlier than the rate allows.
				due := start.Add(time.Duration(float64(sent) / float64(p.bps) * float64(time.Second)))
				if !sleepCtx(ctx, time.Until(due)) {
					return
				}
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			p.addBytes(n)
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) writeError(w http.ResponseWriter, status int, code, msg string) {
	var esc strings.Builder
	xml.EscapeText(&esc, []byte(msg))
	body := fmt.Sprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message><RequestId>s3test-proxy</RequestId></Error>", code, esc.String())
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("x-amz-request-id", "s3test-proxy")
	w.WriteHeader(status)
	n, _ := io.WriteString(w, body)
	p.addBytes(n)
}

// sleepCtx sleeps for d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
