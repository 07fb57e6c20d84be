package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
)

// runSync implements `roster sync --org SLUG --mode full|partial --area employees|absences|timetracking|all`:
// the same use case as Sync Now, run in the foreground; prints the run as JSON.
func runSync(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	slug := fs.String("org", "", "organisation slug")
	mode := fs.String("mode", store.ModeFull, "full or partial")
	area := fs.String("area", store.AreaEmployees, "employees, absences, timetracking or all")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, st, err := openStore(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	a, err := cliActor(ctx, st, *slug)
	if err != nil {
		return err
	}
	sender, _, err := newSender(cfg, log)
	if err != nil {
		return err
	}
	box, err := secrets.New(cfg.SecretKey, cfg.SecretKeyPrevious)
	if err != nil {
		return err
	}
	// The whole application: a run applies its changes to users
	// (lifecycle, notifications, invitations, reimbursement details) as a
	// run started in the web app does.
	svc, err := newServices(st, servicesOptions{Sender: sender, Box: box, BaseURL: cfg.BaseURL, Log: log})
	if err != nil {
		return err
	}
	syncer := svc.syncer
	defer func() { _ = syncer.Shutdown(context.Background()) }()
	run, started, err := syncer.Run(ctx, a.OrgID, hrsync.Request{Area: *area, Mode: *mode, Trigger: store.TriggerCLI})
	if err != nil {
		return err
	}
	summary := map[string]any{
		"run_id": run.ID, "started": started, "area": run.Area, "mode": run.Mode, "trigger": run.Trigger, "status": run.Status,
		"new": run.NewCount, "changed": run.ChangedCount, "unchanged": run.UnchangedCount, "removed": run.RemovedCount,
		"warnings": run.WarningCount, "errors": run.ErrorCount, "api_calls": run.APICalls, "rows_written": run.RowsWritten,
		"duration_ms": run.Duration().Milliseconds(), "error": run.Error,
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(summary); err != nil {
		return err
	}
	if !started {
		return fmt.Errorf("another sync of this organisation is running (run %d); not started", run.ID)
	}
	if run.Status != store.RunSucceeded {
		return errors.New("sync failed: " + run.Error)
	}
	return nil
}

func runHREmployees(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hr employees", flag.ContinueOnError)
	fs.SetOutput(stderr)
	slug := fs.String("org", "", "organisation slug")
	format := fs.String("format", "json", "json or csv")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("--format must be json or csv, got %q", *format)
	}
	_, log, st, err := openStore(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	a, err := cliActor(ctx, st, *slug)
	if err != nil {
		return err
	}
	// Reading the mirror needs no HR connection.
	syncer, err := hrsync.New(hrsync.Options{Store: st, Providers: func(context.Context, int64, func(hris.CallInfo)) (hris.Provider, error) {
		return nil, errors.New("roster hr employees reads the synced data only")
	}, Logger: log})
	if err != nil {
		return err
	}
	return syncer.Export(ctx, a.OrgID, hrsync.EmployeeFilter{IncludeRemoved: true}, *format, stdout)
}
