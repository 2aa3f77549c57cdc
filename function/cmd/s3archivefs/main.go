// Command s3archivefs is the operator CLI of s3archivefs: it packs a
// directory into a squashfs archive, installs an archive in S3 the way the
// function expects it, reads archives in S3 through the same core and
// chunk cache as the function, and checks what a virtual prefix map points
// at.
//
// Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 `vmap check`
// found entries that fail. Data goes to stdout, messages to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitCheck   = 3
)

// env is what a command sees of the process: its streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one subcommand.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
	help    string // description and examples, after the flags
	flags   func(*flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

// usageError is a mistake on the command line (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// errCheckFailed reports that a check ran and found problems (exit 3).
var errCheckFailed = errors.New("check failed")

func commands() []*command {
	return []*command{packCommand(), installCommand(), lsCommand(), statCommand(),
		catCommand(), getCommand(), vmapCommand(), serveCommand()}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		mainUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				return runCommand(ctx, c, []string{"--help"}, e)
			}
		}
		mainUsage(e.stdout)
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "s3archivefs: unknown command %q\n\n", name)
		mainUsage(e.stderr)
		return exitUsage
	}
	return runCommand(ctx, c, args[1:], e)
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func runCommand(ctx context.Context, c *command, args []string, e *env) int {
	fs := flag.NewFlagSet("s3archivefs "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	do := c.flags(fs)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		commandHelp(e.stdout, c, fs)
		return exitOK
	}
	if err == nil {
		err = do(ctx, e, pos)
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue) || isFlagError(err):
		fmt.Fprintf(e.stderr, "s3archivefs %s: %v\nusage: s3archivefs %s %s\nRun 's3archivefs %s --help' for details.\n",
			c.name, err, c.name, c.args, c.name)
		return exitUsage
	case errors.Is(err, errCheckFailed):
		fmt.Fprintf(e.stderr, "s3archivefs %s: %v\n", c.name, err)
		return exitCheck
	case ctx.Err() != nil:
		fmt.Fprintf(e.stderr, "s3archivefs %s: interrupted: %v\n", c.name, err)
		return exitFailure
	default:
		fmt.Fprintf(e.stderr, "s3archivefs %s: %v\n", c.name, err)
		return exitFailure
	}
}

// flagError marks errors from the flag package.
type flagError struct{ err error }

func (e flagError) Error() string { return e.err.Error() }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

// parseInterspersed parses flags wherever they appear among the arguments
// (`ls s3://b/k dir -l`), as the synopses write them. Everything
// after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	args = splitShortFlags(fs, args)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, flagError{err}
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// splitShortFlags expands combined one-letter boolean flags ("-lR" into
// "-l -R"), as ls users type them. Other arguments are left alone.
func splitShortFlags(fs *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' && allShortBools(fs, a[1:]) {
			for _, c := range a[1:] {
				out = append(out, "-"+string(c))
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func allShortBools(fs *flag.FlagSet, letters string) bool {
	for _, c := range letters {
		f := fs.Lookup(string(c))
		if f == nil {
			return false
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			return false
		}
	}
	return true
}

func mainUsage(w io.Writer) {
	fmt.Fprint(w, `s3archivefs: operator tool for squashfs archives served from S3.

Usage:
  s3archivefs <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 's3archivefs <command> --help' for a command's flags and examples.

S3 access uses the standard AWS configuration: AWS_PROFILE, AWS_REGION,
credentials files, SSO, instance roles, and AWS_ENDPOINT_URL_S3 (or the
--endpoint-url flag) for S3-compatible servers.

Exit codes: 0 success, 1 failure, 2 usage error, 3 'vmap check' found bad entries.
`)
}

func commandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: s3archivefs %s %s\n\n%s\n", c.name, c.args, c.summary)
	var flags strings.Builder
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if flags.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", flags.String())
	}
	fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
}
