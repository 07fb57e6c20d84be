// Command roster is Roster: the web app (serve), its migrations, the bundled
// Personio sandbox and the operator CLI. main only wires signals to run.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "roster:", err)
		os.Exit(1)
	}
}

const usage = `Roster keeps your workspace in sync with Personio.

Usage:
  roster [serve]                      start the web app (default)
  roster migrate                      apply database migrations
  roster sandbox [flags]              run the bundled Personio sandbox API
  roster org create --name N --timezone TZ --owner-email E --owner-name N --owner-password-file F
  roster users export --org SLUG --format csv|json
  roster hr connect --org SLUG --base-url URL --client-id ID --client-secret-file F
  roster hr employees --org SLUG --format json|csv
  roster sync --org SLUG --mode full|partial --area employees|all
  roster bench [--db sqlite,postgres] [--quick] [--out FILE] [--cases LIST]
                                      measure the sync and the pages (make bench)
  roster keys rotate [--batch N]      re-seal every secret at rest under ROSTER_SECRET_KEY
                                      (old key in ROSTER_SECRET_KEY_PREVIOUS; see README.md)
  roster help                         this text and every ROSTER_* variable

Configuration comes from ROSTER_* environment variables (see README.md).
`

// run dispatches a subcommand. Every dependency is passed in, so tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, getenv, stdout, stderr)
	case "sandbox":
		return runSandbox(ctx, args, getenv, stdout)
	case "org":
		return runOrg(ctx, args, getenv, stdout, stderr)
	case "users":
		return runUsers(ctx, args, getenv, stdout, stderr)
	case "hr":
		return runHR(ctx, args, getenv, stdout, stderr)
	case "sync":
		return runSync(ctx, args, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, args, getenv, stdout, stderr)
	case "keys":
		return runKeys(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		printVars(stdout)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
