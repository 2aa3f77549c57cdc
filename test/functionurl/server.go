package functionurl

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

// ServerConfig runs a function binary behind a local function URL.
type ServerConfig struct {
	// Addr is where the URL listens (default 127.0.0.1:9000).
	Addr string
	// Binary is the function's bootstrap; Args are passed to it.
	Binary string
	Args   []string
	// Instances, FunctionTimeout, MemoryMB and FunctionName shape the
	// function (defaults 1, 15 minutes, 1024, s3archivefs).
	Instances       int
	FunctionTimeout time.Duration
	MemoryMB        int
	FunctionName    string
	Region          string
	AccountID       string
	// AccessKeyID and SecretAccessKey stand for the function's role;
	// S3Endpoint is the S3 server it reads archives and real objects from.
	AccessKeyID, SecretAccessKey string
	S3Endpoint                   string
	// FunctionVars are more NAME=value pairs for the function (S3ARCHIVEFS_*).
	FunctionVars []string
	// FunctionOutput receives the function's stdout and stderr; nil means os.Stderr.
	FunctionOutput io.Writer
	Logger         *slog.Logger
}

// Server is a running function URL and its function processes.
type Server struct {
	url  string
	http *http.Server
	proc *olaplocal.Process
}

// StartServer listens on cfg.Addr and serves the function URL.
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
	if cfg.Region == "" {
		cfg.Region = olaplocal.DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = olaplocal.DefaultAccountID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("functionurl: %w", err)
	}
	env := olaplocal.FunctionEnv{Name: cfg.FunctionName, MemoryMB: cfg.MemoryMB, Region: cfg.Region,
		AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey, S3Endpoint: cfg.S3Endpoint,
		Binary: cfg.Binary, Vars: append([]string{"S3ARCHIVEFS_FRONT=function_url"}, cfg.FunctionVars...)}
	proc, err := olaplocal.StartProcess(olaplocal.ProcessConfig{Path: cfg.Binary, Args: cfg.Args, Env: env.Environ(),
		Instances: cfg.Instances, Timeout: cfg.FunctionTimeout,
		FunctionARN: olaplocal.FunctionARN(cfg.Region, cfg.AccountID, cfg.FunctionName),
		Stdout:      cfg.FunctionOutput, Stderr: cfg.FunctionOutput, Logger: cfg.Logger})
	if err != nil {
		ln.Close()
		return nil, err
	}
	h, err := New(Config{Function: proc, AccountID: cfg.AccountID, Logger: cfg.Logger})
	if err != nil {
		proc.Close()
		ln.Close()
		return nil, err
	}
	s := &Server{url: "http://" + ln.Addr().String(), proc: proc, http: &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("function URL stopped", "error", err.Error())
		}
	}()
	return s, nil
}

// URL is the function URL's base URL.
func (s *Server) URL() string { return s.url }

// Close stops serving and kills the function processes.
func (s *Server) Close() error {
	err := s.http.Close()
	s.proc.Close()
	return err
}
