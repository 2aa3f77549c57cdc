package fault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// get is one GET and the answer it must have when it succeeds.
type get struct {
	key    string
	rng    string // Range header, "" for the whole object
	want   []byte
	status int // 200 or 206
}

// outcome is what came of a get: good, wrong (served as a success with
// other bytes), or an error the client saw (which is allowed under faults).
type outcome struct {
	wrong string // why the answer is wrong; "" if it is not
	err   string // "HTTP <status>" or "broken"; "" on success
	took  time.Duration
}

// check makes g and compares every byte of a successful answer with what
// it must be. A body that breaks off is an error the client sees (its
// read fails), not a success.
func check(ctx context.Context, c *s3.Client, g get) outcome {
	start := time.Now()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(g.key)}
	if g.rng != "" {
		in.Range = aws.String(g.rng)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return outcome{err: errStatus(err), took: time.Since(start)}
	}
	status := 0
	if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok {
		status = raw.StatusCode
	}
	body, err := drain(out.Body)
	out.Body.Close()
	o := outcome{took: time.Since(start)}
	switch {
	case err != nil:
		o.err = "broken"
	case status != g.status:
		o.wrong = fmt.Sprintf("%s %q: status %d, want %d", g.key, g.rng, status, g.status)
	case !bytes.Equal(body, g.want):
		o.wrong = fmt.Sprintf("%s %q: %d bytes, want %d; first difference at %d", g.key, g.rng, len(body), len(g.want), firstDiff(body, g.want))
	}
	return o
}

// errStatus names an error by the HTTP status the client got, or
// "broken" when no status arrived.
func errStatus(err error) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		return fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
	}
	return "broken"
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// randomGet draws a GET of f: the whole object, a closed range, an open
// one, a suffix, or a range running past the end.
func randomGet(r *rand.Rand, f file) get {
	n := int64(len(f.data))
	g := get{key: f.key, want: f.data, status: 200}
	if n == 0 {
		return g
	}
	a := r.Int64N(n)
	switch k := r.IntN(10); {
	case k < 3: // whole
	case k < 7:
		b := min(n-1, a+r.Int64N(min(n, 600_000)))
		g.rng, g.want = fmt.Sprintf("bytes=%d-%d", a, b), f.data[a:b+1]
	case k < 8:
		g.rng, g.want = fmt.Sprintf("bytes=%d-", a), f.data[a:]
	case k < 9:
		m := 1 + r.Int64N(min(n, 300_000))
		g.rng, g.want = fmt.Sprintf("bytes=-%d", m), f.data[n-m:]
	default:
		g.rng, g.want = fmt.Sprintf("bytes=%d-%d", a, n+1000), f.data[a:]
	}
	if g.rng != "" {
		g.status = 206
	}
	return g
}

// mix draws from small files 60% of the time, large ones 40%.
func (w *world) mix(r *rand.Rand) get {
	if r.IntN(10) < 6 {
		return randomGet(r, w.small[r.IntN(len(w.small))])
	}
	return randomGet(r, w.large[r.IntN(len(w.large))])
}
