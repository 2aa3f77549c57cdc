package olaplocal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServerConfig runs the endpoint with a function binary, on one address.
type ServerConfig struct {
	// Addr is where the endpoint listens (default 127.0.0.1:9000).
	Addr string
	// Endpoint is the endpoint's configuration; its Function is set by
	// StartServer.
	Endpoint Config
	// Binary is the function's bootstrap; Args are passed to it.
	Binary string
	Args   []string
	// Instances, FunctionTimeout, MemoryMB and FunctionName shape the
	// function as Terraform would (defaults 1, 60 s, 1024, s3archivefs).
	Instances       int
	FunctionTimeout time.Duration
	MemoryMB        int
	FunctionName    string
	// FunctionVars are more NAME=value pairs for the function (S3ARCHIVEFS_*).
	FunctionVars []string
	// FunctionOutput receives the function's stdout and stderr (its JSON
	// logs); nil means os.Stderr.
	FunctionOutput io.Writer
	Logger         *slog.Logger
}

// Server is a running endpoint and its function processes.
type Server struct {
	url  string
	http *http.Server
	proc *Process
}

// StartServer listens on cfg.Addr and serves the endpoint, the function
// running as child processes whose WriteGetObjectResponse comes back here.
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:9000"
	}
	if cfg.FunctionName == "" {
		cfg.FunctionName = "s3archivefs"
	}
	if cfg.FunctionTimeout <= 0 {
		cfg.FunctionTimeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("olaplocal: %w", err)
	}
	url := "http://" + ln.Addr().String()
	ec := cfg.Endpoint
	region, account := ec.Region, ec.AccountID
	if region == "" {
		region = DefaultRegion
	}
	if account == "" {
		account = DefaultAccountID
	}
	env := FunctionEnv{Name: cfg.FunctionName, MemoryMB: cfg.MemoryMB, Region: region,
		AccessKeyID: ec.Upstream.AccessKeyID, SecretAccessKey: ec.Upstream.SecretAccessKey,
		S3Endpoint: ec.Upstream.Endpoint, WGOREndpoint: url, Binary: cfg.Binary, Vars: cfg.FunctionVars}
	proc, err := StartProcess(ProcessConfig{Path: cfg.Binary, Args: cfg.Args, Env: env.Environ(),
		Instances: cfg.Instances, Timeout: cfg.FunctionTimeout,
		FunctionARN: FunctionARN(region, account, cfg.FunctionName),
		Stdout:      cfg.FunctionOutput, Stderr: cfg.FunctionOutput, Logger: cfg.Logger})
	if err != nil {
		ln.Close()
		return nil, err
	}
	ec.Function = proc
	if ec.Logger == nil {
		ec.Logger = cfg.Logger
	}
	if ec.Timeout <= 0 {
		ec.Timeout = cfg.FunctionTimeout
	}
	ep, err := New(ec)
	if err != nil {
		proc.Close()
		ln.Close()
		return nil, err
	}
	s := &Server{url: url, proc: proc, http: &http.Server{Handler: ep, ReadHeaderTimeout: 30 * time.Second}}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("endpoint stopped", "error", err.Error())
		}
	}()
	return s, nil
}

// URL is the endpoint's base URL.
func (s *Server) URL() string { return s.url }

// Close stops serving and kills the function processes.
func (s *Server) Close() error {
	err := s.http.Close()
	s.proc.Close()
	return err
}
