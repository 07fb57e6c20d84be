package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
)

// TestScheduleWaitsForTheFirstImportPreview: while the first import waits
// as a preview for an admin, the scheduled syncs import nothing; once it is
// applied they run again.
func TestScheduleWaitsForTheFirstImportPreview(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 5, Seed: 3})
	getenv := cliEnv(t, store.SQLite)
	dir := t.TempDir()
	pw, secret := filepath.Join(dir, "pw"), filepath.Join(dir, "secret")
	if err := os.WriteFile(pw, []byte("cli-password-123"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte(sandbox.FullClientSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, getenv, "org", "create", "--name", "Acme", "--timezone", "UTC", "--owner-email", "o@acme.test", "--owner-name", "O", "--owner-password-file", pw); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, getenv, "hr", "connect", "--org", "acme", "--base-url", sbURL, "--client-id", sandbox.FullClientID, "--client-secret-file", secret); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, getenv, "sync", "--org", "acme", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	var dry struct {
		PreviewID int64 `json:"preview_id"`
	}
	if err := json.Unmarshal([]byte(out), &dry); err != nil || dry.PreviewID == 0 {
		t.Fatalf("dry run: %v %s", err, out)
	}

	ctx := t.Context()
	cfg, log, st, err := openStore(ctx, getenv, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	box, err := secrets.New(cfg.SecretKey, cfg.SecretKeyPrevious)
	if err != nil {
		t.Fatal(err)
	}
	sender, _, err := newSender(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := newServices(st, servicesOptions{Sender: sender, Box: box, BaseURL: cfg.BaseURL, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.OrganizationBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	runs := func() int {
		t.Helper()
		rs, err := st.ListSyncRuns(ctx, org.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	sched := scheduledSync{sync: svc.syncer}
	before := runs()
	for _, mode := range []string{store.ModeFull, store.ModePartial} {
		if err := sched.RunScheduled(ctx, org.ID, mode); err != nil {
			t.Fatal(err)
		}
	}
	if n := runs(); n != before {
		t.Fatalf("the schedule ran %d sync(s) while the first import waited for review", n-before)
	}
	if _, _, err := runCLI(t, getenv, "sync", "--org", "acme", "--apply-preview", fmt.Sprint(dry.PreviewID)); err != nil {
		t.Fatal(err)
	}
	before = runs()
	if err := sched.RunScheduled(ctx, org.ID, store.ModePartial); err != nil {
		t.Fatal(err)
	}
	if n := runs(); n != before+1 {
		t.Fatalf("after the apply the schedule ran %d sync(s), want 1", n-before)
	}
}
