package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
)

// runSandbox implements `roster sandbox`: a Personio-compatible API server
// with a generated demo company, serving until ctx is cancelled.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stdout)
	defaultAddr := "127.0.0.1:8090"
	if a := getenv("ROSTER_SANDBOX_ADDR"); a != "" {
		defaultAddr = a
	}
	var (
		addr         = fs.String("addr", defaultAddr, "listen address (host:port; :0 picks a free port)")
		employees    = fs.Int("employees", 120, fmt.Sprintf("size of the demo company (1..%d)", sandbox.MaxEmployees))
		seed         = fs.Int64("seed", 1, "seed of the demo company")
		baseURL      = fs.String("base-url", "", "public base URL for links (default: from the request's Host)")
		legacyTokens = fs.Bool("legacy-tokens", false, "single-use v1 tokens rotated through the Authorization response header")
		noRateLimit  = fs.Bool("no-rate-limit", false, "switch Personio's rate limits off")
		halfDayBool  = fs.Bool("half-day-bool", false, "send half_day_start/end as booleans instead of the live API's 0/1")
		fault429     = fs.Float64("fault-429", 0, "fraction of API requests answered with 429")
		fault5xx     = fs.Float64("fault-5xx", 0, "fraction of API requests answered with 500/502/503")
		latency      = fs.Duration("latency", 0, "extra latency for every API request")
		hangRate     = fs.Float64("fault-hang", 0, "fraction of API requests that hang for --hang")
		hang         = fs.Duration("hang", 30*time.Second, "how long a hanging request hangs")
		resetRate    = fs.Float64("fault-reset", 0, "fraction of API requests whose connection is reset")
		malformed    = fs.Float64("fault-malformed", 0, "fraction of API responses with a truncated body")
		faultSeed    = fs.Int64("fault-seed", 0, "seed of the fault decisions (default: --seed)")
		verbose      = fs.Bool("v", false, "log every request")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sandbox: unexpected arguments %v", fs.Args())
	}
	if *employees < 1 || *employees > sandbox.MaxEmployees {
		return fmt.Errorf("sandbox: --employees must be between 1 and %d", sandbox.MaxEmployees)
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	opts := sandbox.DefaultOptions()
	opts.Employees = *employees
	opts.Seed = *seed
	opts.BaseURL = *baseURL
	opts.LegacyTokens = *legacyTokens
	opts.RateLimit = !*noRateLimit
	opts.HalfDayAsInt = !*halfDayBool
	opts.FaultSeed = *faultSeed
	opts.Logger = logger
	srv := sandbox.New(opts)

	faults := sandbox.Faults{
		Rate429: *fault429, Rate5xx: *fault5xx, LatencyMS: int(latency.Milliseconds()),
		HangRate: *hangRate, HangMS: int(hang.Milliseconds()), ResetRate: *resetRate, MalformedRate: *malformed,
	}
	if faults.Rate429 > 0 || faults.Rate5xx > 0 || faults.LatencyMS > 0 || faults.HangRate > 0 ||
		faults.ResetRate > 0 || faults.MalformedRate > 0 {
		if err := srv.SetFaults(faults); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}

	base, err := srv.Start(ctx, *addr)
	if err != nil {
		return err
	}
	if *baseURL != "" {
		base = *baseURL
	}
	if _, err := io.WriteString(stdout, srv.Banner(base)); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
