package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/test/functionurl"
	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// FrontResult is one GET case through each front: the same bootstrap
// binary behind the local Object Lambda endpoint and behind the local
// function URL (streamed response, SigV4 checked by the function).
type FrontResult struct {
	Case                         string
	OLAPCold, OLAPWarm           Samples // TTFB
	FunctionURLCold, FunctionURL Samples
}

// frontCases are the GETs compared across fronts, by index in getCases:
// a small file of the many-files archive and a whole larger file.
var frontCases = []int{0, 2}

// measureFronts times cold and warm TTFB of the same GETs through both
// fronts, each cold run a new function process on an empty chunk cache
// that has served one GET from another archive.
func measureFronts(ctx context.Context, e *Env, reps int) ([]FrontResult, error) {
	cases, err := getCases(e.W)
	if err != nil {
		return nil, err
	}
	var out []FrontResult
	for _, i := range frontCases {
		if i >= len(cases) {
			continue
		}
		c := cases[i]
		e.Log("fronts: GET %s", c.Name)
		r := FrontResult{Case: c.Name}
		for range reps {
			f, err := e.startFunction(FuncOpts{S3: e.Slow, Engine: "go"})
			if err != nil {
				return nil, err
			}
			cold, warm, err := e.coldWarmTTFB(ctx, f.client, c, f.idle, f.Close)
			os.RemoveAll(f.cache)
			if err != nil {
				return nil, fmt.Errorf("object lambda front, %s: %w", c.Name, err)
			}
			r.OLAPCold, r.OLAPWarm = append(r.OLAPCold, cold), append(r.OLAPWarm, warm)

			client, pids, stop, err := e.startFunctionURL()
			if err != nil {
				return nil, err
			}
			cold, warm, err = e.coldWarmTTFB(ctx, client, c, pids.idle, stop)
			if err != nil {
				return nil, fmt.Errorf("function URL front, %s: %w", c.Name, err)
			}
			r.FunctionURLCold, r.FunctionURL = append(r.FunctionURLCold, cold), append(r.FunctionURL, warm)
		}
		out = append(out, r)
	}
	return out, nil
}

// coldWarmTTFB starts the process with a GET from another archive, then
// makes the case's GET twice (cold, warm), each after S3 and the function
// (idle) have gone quiet, and stops the front.
func (e *Env) coldWarmTTFB(ctx context.Context, client *s3.Client, c GetCase, idle func(context.Context) error, stop func() error) (cold, warm float64, err error) {
	defer stop()
	other := FileName(e.W.Sizes.Files[0])
	want, err := truthOf(filepath.Join(e.W.BigDir, other), Span{0, 1})
	if err != nil {
		return 0, 0, err
	}
	if _, err := get(ctx, client, olaplocal.DefaultBucket, bigPrefix("gzip")+"/"+other, Span{0, 1}, want); err != nil {
		return 0, 0, fmt.Errorf("first GET: %w", err)
	}
	quiet := func() error {
		if err := e.quiesce(ctx); err != nil {
			return err
		}
		return idle(ctx)
	}
	if err := quiet(); err != nil {
		return 0, 0, err
	}
	for i, d := range []*float64{&cold, &warm} {
		t, err := get(ctx, client, olaplocal.DefaultBucket, c.Key, c.Span, c.truth)
		if err != nil {
			return 0, 0, fmt.Errorf("GET %d: %w", i+1, err)
		}
		*d = seconds(t.TTFB)
		if err := quiet(); err != nil {
			return 0, 0, err
		}
	}
	return cold, warm, nil
}

// startFunctionURL starts the function behind the local function URL,
// on a fresh chunk cache, with one access key.
func (e *Env) startFunctionURL() (*s3.Client, *pidLog, func() error, error) {
	cache, err := os.MkdirTemp(e.Work, "cache-")
	if err != nil {
		return nil, nil, nil, err
	}
	keys, _ := json.Marshal(map[string]any{"keys": []map[string]any{{"access_key_id": olaplocal.DefaultAccessKey,
		"secret_access_key": olaplocal.DefaultSecretKey, "allow_prefixes": []string{""}}}})
	keysFile := filepath.Join(cache, "keys.json")
	if err := os.WriteFile(keysFile, keys, 0o600); err != nil {
		return nil, nil, nil, err
	}
	vars := append(e.vmapVars(), "S3ARCHIVEFS_CACHE_DIR="+cache, "S3ARCHIVEFS_ENGINE=go", "S3ARCHIVEFS_LOG_LEVEL=warn",
		"S3ARCHIVEFS_KEYS_FILE="+keysFile, "S3ARCHIVEFS_BUCKET="+olaplocal.DefaultBucket)
	pids := &pidLog{}
	srv, err := functionurl.StartServer(functionurl.ServerConfig{Addr: "127.0.0.1:0", Binary: e.Bootstrap,
		FunctionTimeout: 5 * time.Minute, AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey,
		S3Endpoint: e.Slow.Endpoint(), FunctionVars: append(vars, e.Vars...), FunctionOutput: &limited{max: 64 << 10},
		Logger: slog.New(pids)})
	if err != nil {
		return nil, nil, nil, err
	}
	client := s3.New(s3.Options{Region: olaplocal.DefaultRegion, BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, ""),
		RetryMaxAttempts:           1,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		HTTPClient:                 &http.Client{Transport: &http.Transport{DisableCompression: true}}})
	return client, pids, func() error {
		err := srv.Close()
		os.RemoveAll(cache)
		return err
	}, nil
}

// frontsSection is the table of cold and warm TTFB per front.
func (r *Report) frontsSection(p func(string, ...any)) {
	if len(r.Fronts) == 0 {
		return
	}
	p("## Fronts: Object Lambda and function URL")
	p("")
	p("The same GETs, through the same `bootstrap` binary behind the local Object Lambda endpoint and behind the")
	p("local function URL (`test/functionurl`: payload 2.0 event, response streamed through the Runtime API,")
	p("SigV4 checked by the function). Cold and warm as in section 2; TTFB, min / median.")
	p("")
	p("| GET | Object Lambda cold | function URL cold | Object Lambda warm | function URL warm | URL / OLAP cold | URL / OLAP warm |")
	p("|---|---|---|---|---|---|---|")
	for _, f := range r.Fronts {
		p("| %s | %s | %s | %s | %s | %s | %s |", f.Case, fmtMinMed(f.OLAPCold), fmtMinMed(f.FunctionURLCold),
			fmtMinMed(f.OLAPWarm), fmtMinMed(f.FunctionURL),
			ratio(f.FunctionURLCold.Median(), f.OLAPCold.Median()), ratio(f.FunctionURL.Median(), f.OLAPWarm.Median()))
	}
	p("")
}
