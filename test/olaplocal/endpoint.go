// Package olaplocal is a local stand-in for an S3 Object Lambda access
// point. It speaks S3's REST API (path-style) for one bucket name, checks
// SigV4 like S3, turns GetObject, HeadObject, ListObjects and ListObjectsV2
// into Object Lambda events for a Function (a real bootstrap binary run
// through the Lambda Runtime API, or an in-process handler), serves
// WriteGetObjectResponse, and passes every other request through to the
// supporting bucket on a real S3 server. It is for tests and `make run`;
// it is never deployed.
package olaplocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// DefaultTimeout is Object Lambda's limit for the function to answer.
const DefaultTimeout = 60 * time.Second

// Defaults for Config, matching `make run`.
const (
	DefaultBucket    = "s3archivefs"
	DefaultRegion    = "us-east-1"
	DefaultAccessKey = "s3archivefs"
	DefaultSecretKey = "s3archivefs-local"
	DefaultAccountID = "111122223333"
)

// Upstream is the supporting bucket on a real S3 server, and the
// credentials of the function's role (used to presign inputS3Url, to
// re-sign passed-through requests and to check WriteGetObjectResponse).
type Upstream struct {
	Endpoint                     string // e.g. http://127.0.0.1:9100
	Bucket                       string
	AccessKeyID, SecretAccessKey string
}

// Config configures an Endpoint.
type Config struct {
	// Bucket is the name clients use, standing for the access point alias.
	Bucket string
	Region string
	// AccessKeyID and SecretAccessKey are what clients must sign with.
	AccessKeyID, SecretAccessKey string
	Upstream                     Upstream
	Function                     Function
	// Timeout is how long a client waits for the function (60 s on AWS).
	Timeout time.Duration
	// AccountID and Payload fill the event's ARNs and configuration.payload.
	AccountID string
	Payload   string
	Logger    *slog.Logger
	// Now is the clock for signatures; nil means time.Now.
	Now func() time.Time
}

// Endpoint is the local Object Lambda access point; it is an http.Handler.
type Endpoint struct {
	cfg      Config
	clients  *sigv4.Verifier // what users sign with, service s3
	function *sigv4.Verifier // the function role, service s3-object-lambda
	signer   *v4.Signer
	upstream *url.URL
	httpc    *http.Client

	mu      sync.Mutex
	pending map[string]*pendingGet // by output token
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Endpoint, error) {
	if cfg.Function == nil {
		return nil, errors.New("olaplocal: Config.Function is nil")
	}
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccessKeyID == "" {
		cfg.AccessKeyID, cfg.SecretAccessKey = DefaultAccessKey, DefaultSecretKey
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	up, err := url.Parse(cfg.Upstream.Endpoint)
	if err != nil || up.Host == "" || (up.Scheme != "http" && up.Scheme != "https") {
		return nil, fmt.Errorf("olaplocal: upstream endpoint %q is not an http(s) URL", cfg.Upstream.Endpoint)
	}
	if cfg.Upstream.Bucket == "" || cfg.Upstream.AccessKeyID == "" {
		return nil, errors.New("olaplocal: upstream bucket and credentials are required")
	}
	e := &Endpoint{
		cfg:      cfg,
		clients:  &sigv4.Verifier{Region: cfg.Region, Keys: sigv4.StaticKeys{cfg.AccessKeyID: cfg.SecretAccessKey}, Now: cfg.Now},
		function: &sigv4.Verifier{Region: cfg.Region, Keys: sigv4.StaticKeys{cfg.Upstream.AccessKeyID: cfg.Upstream.SecretAccessKey}, Now: cfg.Now},
		signer:   v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		upstream: up,
		httpc: &http.Client{
			Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 32},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		pending: map[string]*pendingGet{},
	}
	return e, nil
}

// Bucket subresources that make a GET on the bucket something other than a listing.
var bucketSubresources = []string{"accelerate", "acl", "analytics", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "lifecycle", "location", "logging", "metadataTable", "metrics",
	"notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock",
	"replication", "requestPayment", "session", "tagging", "uploads", "versioning", "versions", "website"}

// Object subresources that make a GET/HEAD on a key something other than GetObject/HeadObject.
var objectSubresources = []string{"acl", "attributes", "legal-hold", "restore", "retention", "select", "tagging", "torrent", "uploadId"}

func hasAny(q url.Values, keys []string) bool {
	for _, k := range keys {
		if q.Has(k) {
			return true
		}
	}
	return false
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newRequestID()
	lw := &statusWriter{ResponseWriter: w}
	op := e.serve(lw, r, reqID)
	e.cfg.Logger.Info("request", "request_id", reqID, "op", op, "method", r.Method,
		"path", r.URL.Path, "status", lw.status, "bytes_out", lw.n, "duration_ms", time.Since(start).Milliseconds())
}

func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request, reqID string) string {
	if r.URL.Path == "/WriteGetObjectResponse" && r.Method == http.MethodPost {
		e.writeGetObjectResponse(w, r, reqID)
		return "WriteGetObjectResponse"
	}
	signed, serr := e.clients.Verify(r, "s3")
	if serr != nil {
		writeError(w, r, reqID, serr)
		return "auth"
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	if bucket == e.cfg.Bucket {
		switch {
		case r.Method == http.MethodGet && key != "" && !hasAny(q, objectSubresources):
			e.getObject(w, r, reqID, signed, key)
			return "GetObject"
		case r.Method == http.MethodHead && key != "" && !hasAny(q, objectSubresources):
			e.headObject(w, r, reqID, signed, key)
			return "HeadObject"
		case r.Method == http.MethodGet && key == "" && !hasAny(q, bucketSubresources):
			if q.Get("list-type") == "2" {
				e.listObjects(w, r, reqID, signed, "ListObjectsV2")
				return "ListObjectsV2"
			}
			e.listObjects(w, r, reqID, signed, "ListObjects")
			return "ListObjects"
		}
	}
	e.passthrough(w, r, reqID, signed, bucket, key)
	return "passthrough"
}

// statusWriter records what was sent, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.n += int64(n)
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// invoke runs the function on ev, bounded by the endpoint's timeout.
func (e *Endpoint) invoke(ctx context.Context, reqID string, ev []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	out, err := e.cfg.Function.Invoke(ctx, Invocation{RequestID: reqID, Payload: ev})
	if errors.Is(err, context.DeadlineExceeded) {
		err = &FunctionError{Type: "Sandbox.Timedout", Message: "no answer within " + e.cfg.Timeout.String(), Timeout: true}
	}
	return out, err
}

// functionFailure maps a failed invocation to the S3 error a client sees.
func functionFailure(err error) *Error {
	var fe *FunctionError
	if errors.As(err, &fe) && fe.Timeout {
		return errLambdaTimeout()
	}
	return errLambdaRuntime(err.Error())
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// hostID is a stable stand-in for S3's x-amz-id-2.
func hostID(requestID string) string {
	return "olaplocal/" + requestID
}
