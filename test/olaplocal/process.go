package olaplocal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProcessConfig describes how to run a function binary the way Lambda runs
// a provided.al2023 runtime.
type ProcessConfig struct {
	// Path is the bootstrap binary; Args are passed to it.
	Path string
	Args []string
	// Env is the child's whole environment, without AWS_LAMBDA_RUNTIME_API
	// (added per instance). FunctionEnv builds what Terraform would set.
	Env []string
	// Instances is how many processes may run at once (Lambda's
	// concurrency); each serves one invocation at a time, and they are
	// started on demand: a new one only when every running one is busy.
	// Default 1.
	Instances int
	// Timeout bounds one invocation (the function's configured timeout);
	// InitTimeout bounds the process start up to its first /next.
	Timeout, InitTimeout time.Duration
	FunctionARN          string
	// Stdout and Stderr receive the child's output (default os.Stderr).
	Stdout, Stderr io.Writer
	Logger         *slog.Logger
}

// Process runs a function binary as child processes behind an
// implementation of the Lambda Runtime API (2018-06-01): next invocation,
// response, error and init error. A process is started when an invocation
// needs it, killed (with its process group) when it overruns the timeout,
// and started afresh after it exits. Each process gets its own Runtime API
// listener, so nothing from a killed process can reach its successor.
type Process struct {
	cfg    ProcessConfig
	pool   *pool
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // running invocations
}

// call is one invocation on its way through an instance.
type call struct {
	inv      Invocation
	deadline time.Time
	once     sync.Once
	done     chan struct{}
	out      []byte
	err      error
	// stream, for InvokeStream, receives the response as it arrives.
	stream chan *StreamResponse
}

func (c *call) finish(out []byte, err error) {
	c.once.Do(func() {
		c.out, c.err = out, err
		close(c.done)
	})
}

// StartProcess prepares up to cfg.Instances execution environments.
// Processes start lazily, when an invocation finds every running one busy.
func StartProcess(cfg ProcessConfig) (*Process, error) {
	if cfg.Path == "" {
		return nil, errors.New("olaplocal: ProcessConfig.Path is empty")
	}
	if _, err := os.Stat(cfg.Path); err != nil {
		return nil, fmt.Errorf("olaplocal: function binary: %w", err)
	}
	if cfg.Instances <= 0 {
		cfg.Instances = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stderr
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Process{cfg: cfg, pool: newPool(cfg.Instances), ctx: ctx, cancel: cancel}
	return p, nil
}

// dispatch runs c on a free instance (started if need be), waiting for one
// while every instance is busy.
func (p *Process) dispatch(ctx context.Context, c *call) error {
	in, err := p.pool.acquire(ctx, p.ctx.Done(), func(id int) *instance { return &instance{p: p, id: id} })
	if err != nil {
		return err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errStopped
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		in.run(c)
		p.pool.release(in)
	}()
	return nil
}

// Invoke runs inv on the next free instance and waits for its result.
func (p *Process) Invoke(ctx context.Context, inv Invocation) ([]byte, error) {
	c := &call{inv: inv, done: make(chan struct{})}
	if err := p.dispatch(ctx, c); err != nil {
		return nil, err
	}
	select {
	case <-c.done:
		return c.out, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var errStopped = errors.New("olaplocal: function stopped")

// Close kills every child process group and stops the Runtime API.
func (p *Process) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	for _, in := range p.pool.instances() {
		in.kill()
	}
	return nil
}

// instance is one execution environment, running at most one process.
type instance struct {
	p  *Process
	id int
	pr *proc
}

// proc is one child process and the Runtime API endpoint it talks to.
type proc struct {
	p       *Process
	cmd     *exec.Cmd
	srv     *http.Server
	next    chan *call
	initErr chan error
	started chan struct{} // closed once cmd is set
	exited  chan struct{}

	mu      sync.Mutex
	cur     *call
	waitErr error
}

func (in *instance) run(c *call) {
	cfg := in.p.cfg
	if in.pr != nil {
		select {
		case <-in.pr.exited: // died while idle (e.g. exited after a panic)
			in.kill()
		default:
		}
	}
	var initTimer <-chan time.Time
	if in.pr == nil {
		pr, err := in.start()
		if err != nil {
			c.finish(nil, &FunctionError{Type: "Runtime.InvalidEntrypoint", Message: err.Error()})
			return
		}
		in.pr = pr
		t := time.NewTimer(cfg.InitTimeout)
		defer t.Stop()
		initTimer = t.C
	}
	pr := in.pr
	c.deadline = time.Now().Add(cfg.Timeout)
	select {
	case pr.next <- c:
	case <-pr.exited:
		c.finish(nil, pr.exitError("Init phase: "))
		in.kill()
		return
	case err := <-pr.initErr:
		in.kill()
		c.finish(nil, err)
		return
	case <-initTimer:
		in.kill()
		c.finish(nil, &FunctionError{Type: "Runtime.InitTimeout", Message: "init did not finish within " + cfg.InitTimeout.String(), Timeout: true})
		return
	case <-in.p.ctx.Done():
		c.finish(nil, errStopped)
		return
	}
	timer := time.NewTimer(time.Until(c.deadline))
	defer timer.Stop()
	select {
	case <-c.done:
	case <-pr.exited:
		c.finish(nil, pr.exitError(""))
		in.kill()
	case <-timer.C:
		in.kill()
		c.finish(nil, &FunctionError{Type: "Sandbox.Timedout",
			Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", c.inv.RequestID, cfg.Timeout.Seconds()), Timeout: true})
	case <-in.p.ctx.Done():
		c.finish(nil, errStopped)
	}
	pr.mu.Lock()
	pr.cur = nil
	pr.mu.Unlock()
}

func (in *instance) start() (*proc, error) {
	cfg := in.p.cfg
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API listener: %w", err)
	}
	pr := &proc{p: in.p, next: make(chan *call), initErr: make(chan error, 1), started: make(chan struct{}), exited: make(chan struct{})}
	pr.srv = &http.Server{Handler: pr.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = pr.srv.Serve(ln) }()

	cmd := exec.Command(cfg.Path, cfg.Args...)
	cmd.Env = append(append([]string(nil), cfg.Env...), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	cmd.Stdout, cmd.Stderr = cfg.Stdout, cfg.Stderr
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		_ = pr.srv.Close()
		return nil, err
	}
	pr.cmd = cmd
	close(pr.started)
	cfg.Logger.Info("function process started", "instance", in.id, "pid", cmd.Process.Pid, "runtime_api", ln.Addr().String())
	go func() {
		err := cmd.Wait()
		pr.mu.Lock()
		pr.waitErr = err
		pr.mu.Unlock()
		close(pr.exited)
	}()
	return pr, nil
}

// kill ends the current child's whole process group, waits for it and
// closes its Runtime API endpoint.
func (in *instance) kill() {
	pr := in.pr
	if pr == nil {
		return
	}
	in.pr = nil
	killGroup(pr.cmd)
	<-pr.exited
	_ = pr.srv.Close()
	in.p.cfg.Logger.Info("function process stopped", "instance", in.id, "pid", pr.cmd.Process.Pid)
}

func (pr *proc) exitError(phase string) *FunctionError {
	pr.mu.Lock()
	err := pr.waitErr
	pr.mu.Unlock()
	msg := "exit status 0"
	if err != nil {
		msg = err.Error()
	}
	return &FunctionError{Type: "Runtime.ExitError", Message: phase + "Runtime exited with error: " + msg}
}

const runtimeBase = "/2018-06-01/runtime"

func (pr *proc) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimeBase+"/invocation/next", pr.handleNext)
	mux.HandleFunc("POST "+runtimeBase+"/invocation/{id}/response", pr.handleResponse)
	mux.HandleFunc("POST "+runtimeBase+"/invocation/{id}/error", pr.handleError)
	mux.HandleFunc("POST "+runtimeBase+"/init/error", pr.handleInitError)
	return mux
}

func (pr *proc) handleNext(w http.ResponseWriter, r *http.Request) {
	c := pr.waitNext(r)
	if c == nil {
		return
	}
	pr.mu.Lock()
	pr.cur = c
	pr.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", c.inv.RequestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(c.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", pr.p.cfg.FunctionARN)
	h.Set("Lambda-Runtime-Trace-Id", traceID(c.inv.RequestID))
	_, _ = w.Write(c.inv.Payload)
}

// waitNext waits for the next invocation of a process that asked for it
// (nil if the request or the process ended first). A process asking while
// no invocation is waiting is frozen until one comes, as Lambda freezes an
// execution environment between invocations: whatever it still does in
// the background (a cache write) stops until then.
func (pr *proc) waitNext(r *http.Request) *call {
	select {
	case c := <-pr.next:
		return c
	default:
	}
	select {
	case <-pr.started: // the process may ask before start has recorded it
	case <-r.Context().Done():
		return nil
	}
	freezeGroup(pr.cmd)
	defer thawGroup(pr.cmd)
	select {
	case c := <-pr.next:
		return c
	case <-r.Context().Done():
	case <-pr.exited:
	}
	return nil
}

// current returns the invocation the path names, or answers 400 as Lambda does.
func (pr *proc) current(w http.ResponseWriter, r *http.Request) *call {
	pr.mu.Lock()
	c := pr.cur
	pr.mu.Unlock()
	if c == nil || c.inv.RequestID != r.PathValue("id") {
		runtimeReply(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID: "+r.PathValue("id"))
		return nil
	}
	return c
}

func (pr *proc) handleResponse(w http.ResponseWriter, r *http.Request) {
	c := pr.current(w, r)
	if c == nil {
		return
	}
	if c.stream != nil {
		pr.streamResponse(w, r, c)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
	switch {
	case err != nil:
		c.finish(nil, &FunctionError{Type: "Runtime.ResponseError", Message: err.Error()})
	case len(body) > maxResponse:
		c.finish(nil, &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."})
		runtimeReply(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response too large")
		return
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// A streamed response that failed midway reports it in trailers.
		msg, _ := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		c.finish(nil, decodeFunctionError(r.Trailer.Get("Lambda-Runtime-Function-Error-Type"), msg))
	default:
		c.finish(body, nil)
	}
	runtimeReply(w, http.StatusAccepted, "", "")
}

func (pr *proc) handleError(w http.ResponseWriter, r *http.Request) {
	c := pr.current(w, r)
	if c == nil {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	c.finish(nil, decodeFunctionError(r.Header.Get("Lambda-Runtime-Function-Error-Type"), body))
	runtimeReply(w, http.StatusAccepted, "", "")
}

func (pr *proc) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	fe := decodeFunctionError(r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)
	fe.Message = "Init phase: " + fe.Message
	select {
	case pr.initErr <- fe:
	default:
	}
	runtimeReply(w, http.StatusAccepted, "", "")
}

// decodeFunctionError reads the runtime's {"errorMessage","errorType"} body.
func decodeFunctionError(headerType string, body []byte) *FunctionError {
	var e struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(body, &e) != nil {
		e.Message = strings.TrimSpace(string(body))
	}
	if e.Type == "" {
		e.Type = headerType
	}
	if e.Type == "" {
		e.Type = "Unhandled"
	}
	return &FunctionError{Type: e.Type, Message: e.Message}
}

func runtimeReply(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if errType == "" {
		_, _ = w.Write([]byte(`{"status":"OK"}`))
		return
	}
	out, _ := json.Marshal(map[string]string{"errorType": errType, "errorMessage": msg})
	_, _ = w.Write(out)
}

// traceID makes an X-Ray style trace header from the request id.
func traceID(requestID string) string {
	id := strings.ReplaceAll(requestID, "-", "")
	for len(id) < 32 {
		id += "0"
	}
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), id[:24], id[:16])
}
