// Command testsummary reads `go test -json` on stdin, prints the usual go
// test output as it arrives, and closes with one line that counts the
// tests: "N passed, N failed, N skipped". It exits non-zero when a test or
// a package failed, so `make test` fails as go test would.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// event is one line of test2json output.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	var passed, failed, skipped int
	var failedTests, skippedTests []string
	pkgFailed := false
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	out := bufio.NewWriter(os.Stdout)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not JSON (a build error printed by go itself): pass it on.
			fmt.Fprintln(out, sc.Text())
			out.Flush()
			continue
		}
		switch {
		case e.Action == "output" && (e.Test == "" || isFailureOutput(e.Output)):
			fmt.Fprint(out, e.Output)
		case e.Test == "" && e.Action == "fail":
			pkgFailed = true
		case e.Test != "" && e.Action == "pass":
			passed++
		case e.Test != "" && e.Action == "fail":
			failed++
			failedTests = append(failedTests, e.Package+" "+e.Test)
		case e.Test != "" && e.Action == "skip":
			skipped++
			skippedTests = append(skippedTests, e.Package+" "+e.Test)
		}
		out.Flush()
	}
	list(out, "Skipped tests (each says why in its -v output):", skippedTests)
	list(out, "Failed tests:", failedTests)
	fmt.Fprintf(out, "\n%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	out.Flush()
	if failed > 0 || pkgFailed || sc.Err() != nil {
		os.Exit(1)
	}
}

// list prints a heading and the sorted names, if there are any.
func list(out *bufio.Writer, heading string, names []string) {
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	fmt.Fprintln(out, "\n"+heading)
	for _, n := range names {
		fmt.Fprintln(out, "  "+n)
	}
}

// isFailureOutput keeps the lines that explain a failure visible without
// printing every passing test's chatter.
func isFailureOutput(s string) bool {
	return len(s) > 0 && (strings.Contains(s, "--- FAIL") || strings.Contains(s, "panic:") || strings.Contains(s, "_test.go:"))
}
