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
	dryRun := fs.Bool("dry-run", false, "compute what the sync would change (a preview), apply nothing, print the diff as JSON")
	apply := fs.Int64("apply-preview", 0, "apply the ready preview with this id (from --dry-run or the web app)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dryRun && *apply != 0 {
		return errors.New("--dry-run and --apply-preview exclude each other")
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
	req := hrsync.Request{Area: *area, Mode: *mode, Trigger: store.TriggerCLI, Preview: *dryRun, ApplyPreview: *apply}
	run, started, err := syncer.Run(ctx, a.OrgID, req)
	if run == nil && err != nil {
		return err
	}
	if *dryRun && started {
		return printPreview(ctx, syncer, a.OrgID, run, stdout)
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

// previewJSON is what `roster sync --dry-run` prints.
type previewJSON struct {
	PreviewID int64            `json:"preview_id"`
	RunID     int64            `json:"run_id"`
	Status    string           `json:"status"`
	Area      string           `json:"area"`
	Mode      string           `json:"mode"`
	Records   int              `json:"records"`
	Counts    map[string]int   `json:"counts"`
	Items     []previewItemOut `json:"items"`
	Error     string           `json:"error,omitempty"`
	Apply     string           `json:"apply,omitempty"`
}

type previewItemOut struct {
	Kind       string `json:"kind"`
	UserID     *int64 `json:"user_id,omitempty"`
	PersonioID *int64 `json:"personio_id,omitempty"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Field      string `json:"field,omitempty"`
	Old        string `json:"old,omitempty"`
	New        string `json:"new,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// printPreview prints the preview a dry run computed.
func printPreview(ctx context.Context, syncer *hrsync.Service, orgID int64, run *store.SyncRun, stdout io.Writer) error {
	out := previewJSON{RunID: run.ID, Status: run.Status, Area: run.Area, Mode: run.Mode, Error: run.Error, Items: []previewItemOut{}, Counts: map[string]int{}}
	pv, err := syncer.PreviewOfRun(ctx, orgID, run.ID)
	if err == nil {
		out.PreviewID, out.Status, out.Records, out.Counts = pv.ID, pv.Status, pv.Records, pv.CountsMap()
		items, err := syncer.AllPreviewItems(ctx, orgID, pv.ID)
		if err != nil {
			return err
		}
		for _, it := range items {
			out.Items = append(out.Items, previewItemOut{Kind: it.Kind, UserID: it.UserID, PersonioID: it.PersonioID, Name: it.Name, Email: it.Email,
				Field: it.Field, Old: it.OldValue, New: it.NewValue, Detail: it.Detail})
		}
		if pv.Status == store.PreviewReady {
			out.Apply = fmt.Sprintf("roster sync --org <slug> --apply-preview %d", pv.ID)
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	if run.Status != store.RunPreviewed {
		return errors.New("preview failed: " + run.Error)
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
