package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func cliEnv(t *testing.T, d store.Dialect) func(string) string {
	t.Helper()
	env := map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_LOG_LEVEL": "error"}
	if d == store.Postgres {
		env["ROSTER_DATABASE_URL"] = storetest.URL(t, d)
	}
	return func(k string) string { return env[k] }
}

func runCLI(t *testing.T, getenv func(string) string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestCLIOrgCreateAndUsersExport(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			getenv := cliEnv(t, d)
			out, _, err := runCLI(t, getenv, "migrate")
			if err != nil || !strings.Contains(out, "migrated to version") {
				t.Fatalf("migrate: %v %q", err, out)
			}
			pw := filepath.Join(t.TempDir(), "pw")
			if err := os.WriteFile(pw, []byte("cli-password-123\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, _, err = runCLI(t, getenv, "org", "create", "--name", "Müller & Söhne AG", "--timezone", "Europe/Zurich",
				"--owner-email", "Chef@Mueller.test", "--owner-name", "Chef", "--owner-password-file", pw)
			if err != nil {
				t.Fatal(err)
			}
			if slug := strings.TrimSpace(out); slug != "mueller-soehne-ag" {
				t.Fatalf("slug %q", slug)
			}
			_, _, err = runCLI(t, getenv, "org", "create", "--name", "X", "--timezone", "Nowhere/Land",
				"--owner-email", "bad", "--owner-name", "X", "--owner-password-file", pw)
			if err == nil || !strings.Contains(err.Error(), "--timezone") || !strings.Contains(err.Error(), "--owner-email") {
				t.Fatalf("bad input error should name the flags: %v", err)
			}

			out, _, err = runCLI(t, getenv, "users", "export", "--org", "mueller-soehne-ag", "--format", "csv")
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(recs) != 2 || recs[1][1] != "chef@mueller.test" || recs[1][3] != "owner" {
				t.Fatalf("csv export: %v %q", err, recs)
			}
			out, _, err = runCLI(t, getenv, "users", "export", "--org", "mueller-soehne-ag", "--format", "json")
			var rows []map[string]any
			if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
				t.Fatalf("json export: %v %q", err, out)
			}
			if _, _, err := runCLI(t, getenv, "users", "export", "--org", "nope", "--format", "csv"); err == nil || !strings.Contains(err.Error(), "no organisation") {
				t.Fatalf("unknown org: %v", err)
			}
		})
	}
}

func TestProdRefusesToStartWithoutSecrets(t *testing.T) {
	env := map[string]string{"ROSTER_ENV": "prod", "ROSTER_DATA_DIR": t.TempDir()}
	_, _, err := runCLI(t, func(k string) string { return env[k] }, "serve")
	if err == nil || !strings.Contains(err.Error(), "ROSTER_SECRET_KEY") || !strings.Contains(err.Error(), "ROSTER_SMTP_URL") {
		t.Fatalf("prod start without secrets: %v", err)
	}
}

func TestCLIHRConnect(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 10, Seed: 2})
	getenv := cliEnv(t, store.SQLite)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("cli-password-123"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, getenv, "org", "create", "--name", "Acme", "--timezone", "UTC", "--owner-email", "o@acme.test", "--owner-name", "O", "--owner-password-file", pw); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, getenv, "hr", "connect", "--org", "acme", "--base-url", sbURL, "--client-id", sandbox.RestrictedClientID, "--client-secret-file", secret)
	if err == nil || !strings.Contains(err.Error(), "--client-secret") || strings.Contains(err.Error(), "wrong") && !strings.Contains(err.Error(), "rejected") {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := os.WriteFile(secret, []byte(sandbox.RestrictedClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, getenv, "hr", "connect", "--org", "acme", "--base-url", sbURL, "--client-id", sandbox.RestrictedClientID, "--client-secret-file", secret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "13 of 17") || !strings.Contains(out, "last_working_day       MISSING") || strings.Contains(out, sandbox.RestrictedClientSecret) {
		t.Fatalf("connect output:\n%s", out)
	}

	// roster sync: the Sync Now use case in the foreground, JSON summary.
	type summary struct {
		Status                   string
		New, Unchanged, Warnings int
		RowsWritten              int64 `json:"rows_written"`
	}
	syncOnce := func() summary {
		t.Helper()
		out, _, err := runCLI(t, getenv, "sync", "--org", "acme", "--mode", "full", "--area", "employees")
		if err != nil {
			t.Fatalf("sync: %v\n%s", err, out)
		}
		var s summary
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("sync output is not JSON: %v\n%s", err, out)
		}
		return s
	}
	// The first import as a dry run: the diff as JSON, nothing written.
	out, _, err = runCLI(t, getenv, "sync", "--org", "acme", "--mode", "full", "--area", "employees", "--dry-run")
	if err != nil {
		t.Fatalf("sync --dry-run: %v\n%s", err, out)
	}
	var dry struct {
		PreviewID int64 `json:"preview_id"`
		Status    string
		Records   int
		Counts    map[string]int
		Items     []struct{ Kind, Name, Email string }
	}
	if err := json.Unmarshal([]byte(out), &dry); err != nil {
		t.Fatalf("dry run output is not JSON: %v\n%s", err, out)
	}
	if dry.Status != "ready" || dry.Records != 10 || dry.Counts["employee_new"] != 10 || len(dry.Items) != 10 || dry.Items[0].Name == "" {
		t.Fatalf("dry run: %+v", dry)
	}
	out, _, err = runCLI(t, getenv, "hr", "employees", "--org", "acme", "--format", "csv")
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("a dry run wrote employees: %v\n%s", err, out)
	}
	// Applying it is the first import.
	out, _, err = runCLI(t, getenv, "sync", "--org", "acme", "--apply-preview", fmt.Sprint(dry.PreviewID))
	if err != nil || !strings.Contains(out, `"new": 10`) || !strings.Contains(out, `"succeeded"`) {
		t.Fatalf("apply preview: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, getenv, "sync", "--org", "acme", "--dry-run")
	if err != nil || !strings.Contains(out, `"items": []`) {
		t.Fatalf("dry run after the apply is not empty: %v\n%s", err, out)
	}
	if _, _, err := runCLI(t, getenv, "sync", "--org", "acme", "--apply-preview", fmt.Sprint(dry.PreviewID)); err == nil || !strings.Contains(err.Error(), "applied") {
		t.Fatalf("second apply: %v", err)
	}

	first := syncOnce()
	if first.Status != "succeeded" || first.New != 0 || first.RowsWritten != 0 {
		t.Fatalf("sync after the applied first import: %+v", first)
	}
	second := syncOnce()
	if second.New != 0 || second.Unchanged != 10 || second.RowsWritten != 0 {
		t.Fatalf("second sync must write nothing: %+v", second)
	}
	if _, _, err := runCLI(t, getenv, "sync", "--org", "acme", "--mode", "sometimes"); err == nil || !strings.Contains(err.Error(), "mode") {
		t.Fatalf("bad mode: %v", err)
	}
	out, _, err = runCLI(t, getenv, "hr", "employees", "--org", "acme", "--format", "csv")
	if err != nil || strings.Count(out, "\n") != 11 || !strings.HasPrefix(out, "personio_id,") {
		t.Fatalf("hr employees csv: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, getenv, "hr", "employees", "--org", "acme", "--format", "json")
	var emps []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &emps) != nil || len(emps) != 10 {
		t.Fatalf("hr employees json: %v %d", err, len(emps))
	}
}
