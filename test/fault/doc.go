// Package fault is the fault suite: the real bootstrap behind the local
// Object Lambda endpoint (test/olaplocal), reading its archive from a real
// S3 server (versitygw) through the faulting proxy of test/s3test, and
// clients that check every byte they are served against the archive's
// source tree.
//
//   - TestRandomGetsUnderFaults: at least 1,000 randomised GETs (whole
//     files and ranges, small and large files) with about 10% of S3
//     requests faulted (every kind the proxy has: resets before the
//     headers, after them and mid-body, stalls, truncated bodies, 503, 500,
//     short 206s): no wrong byte served as a success, no request longer
//     than the function timeout, and every GET good once the faults stop;
//     then 200 GETs with 70% of S3 requests faulted, so that retries run
//     out: failures must show as errors, never as wrong bytes.
//   - TestCacheDamage: chunk files truncated, deleted, overwritten with
//     garbage of the same or another size while GETs are served, and a
//     full cache filesystem: no wrong byte.
//   - TestSharedCache: four function processes on one cold cache directory
//     under 32 concurrent clients: no wrong byte.
//   - TestCheckerCatchesWrongByte: the checker itself, end to end: one
//     byte flipped between the endpoint and the client is caught.
//
// The counts (requests, faults by kind, wrong bytes, errors by status) are
// logged with -v.
package fault
