// Package e2e tests the deployed artifact end to end: the real bootstrap
// binary, built as `make package` builds it, behind the local Object Lambda
// endpoint (test/olaplocal) over a signature-checking S3 server
// (versitygw), driven by real S3 clients: the AWS CLI v2 and the Go SDK v2.
//
// The package holds tests only; see main_test.go for the stack and
// README.md for what each test proves and how to run it.
package e2e
