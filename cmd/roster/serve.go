package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/jobs"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/web"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, st, err := openStore(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()

	sender, mailbox, err := newSender(cfg, log)
	if err != nil {
		return err
	}

	box, err := secrets.New(cfg.SecretKey, cfg.SecretKeyPrevious)
	if err != nil {
		return err
	}
	sandboxURL := ""
	if cfg.Sandbox {
		sb := sandbox.New(sandbox.Options{Employees: 120, Seed: 1, RateLimit: true, Logger: log.With("component", "sandbox")})
		if sandboxURL, err = sb.Start(ctx, cfg.SandboxAddr); err != nil {
			return fmt.Errorf("start the Personio sandbox on %s (set ROSTER_SANDBOX=off or another ROSTER_SANDBOX_ADDR): %w", cfg.SandboxAddr, err)
		}
		log.Info("Personio sandbox started", "url", sandboxURL, "client_id", sandbox.FullClientID)
	}
	svc, err := newServices(st, servicesOptions{Sender: sender, Box: box, BaseURL: cfg.BaseURL, SandboxURL: sandboxURL, Log: log})
	if err != nil {
		return err
	}
	syncer := svc.syncer
	sched, err := jobs.New(jobs.Options{Store: st, Sync: scheduledSync{syncer}, Housekeeper: housekeeping{st: st, sync: syncer}, Lifecycle: svc.life, Outbox: svc.outbox, Health: svc.health, Logger: log.With("component", "scheduler")})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	deps := svc.webDeps(st)
	deps.Dev, deps.SignupOpen, deps.BaseURL, deps.Secure = cfg.Env == "dev", cfg.SignupOpen, cfg.BaseURL, cfg.Secure()
	deps.SecretKey, deps.Logger, deps.Registry, deps.Schedule, deps.Mailbox = cfg.SecretKey, log, reg, sched, mailbox
	deps.SecretKeyPrevious = cfg.SecretKeyPrevious
	srv, err := web.New(deps)
	if err != nil {
		return err
	}

	if err := sched.Start(ctx); err != nil {
		return fmt.Errorf("start scheduler: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("roster started", "addr", ln.Addr().String(), "url", cfg.BaseURL, "database", st.Dialect(), "env", cfg.Env)
	fmt.Fprintf(stdout, "Roster is running at %s (listening on %s)\n", cfg.BaseURL, ln.Addr())

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = sched.Shutdown()
			_ = syncer.Shutdown(context.Background())
			return err
		}
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		log.Error("http shutdown", "err", err)
	}
	if err := sched.Shutdown(); err != nil {
		log.Error("scheduler shutdown", "err", err)
	}
	if err := syncer.Shutdown(shutdownCtx); err != nil {
		log.Error("sync shutdown", "err", err)
	}
	return nil
}
