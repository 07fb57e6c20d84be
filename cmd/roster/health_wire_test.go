package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/health"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestComposedSyncChecksHealth: in the composed application (`roster sync`)
// a failed run opens a health problem and puts an alert in the admin's
// bell (OnFinish), and the next good run clears it (lifecycle Also step).
func TestComposedSyncChecksHealth(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 6, Seed: 3})
			getenv := cliEnv(t, d)
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
			ctx := t.Context()
			_, _, st, err := openStore(ctx, getenv, &strings.Builder{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			org, err := st.OrganizationBySlug(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			kinds := func() []string {
				t.Helper()
				ps, err := st.OpenHealthProblems(ctx, org.ID)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, p := range ps {
					out = append(out, p.Kind)
				}
				return out
			}
			if err := sb.SetFaults(sandbox.Faults{Rate5xx: 1}); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				if _, _, err := runCLI(t, getenv, "sync", "--org", "acme", "--mode", "full", "--area", "employees"); err == nil {
					t.Fatal("sync against a failing Personio succeeded")
				}
			}
			if k := kinds(); len(k) != 1 || k[0] != health.KindSyncFailed {
				t.Fatalf("open problems after failed runs: %v", k)
			}
			admins, err := st.ActiveAdminIDs(ctx, org.ID)
			if err != nil || len(admins) != 1 {
				t.Fatalf("admins %v %v", admins, err)
			}
			ns, _, err := st.Notifications(ctx, org.ID, admins[0], false, 50, 0)
			if err != nil {
				t.Fatal(err)
			}
			alerts := 0
			for _, n := range ns {
				if n.Kind == notify.KindHealth && n.Title == health.Title(health.KindSyncFailed) {
					alerts++
				}
			}
			if alerts != 1 {
				t.Fatalf("%d health alerts in the bell after two failed runs, want 1", alerts)
			}
			sb.ClearFaults()
			if out, _, err := runCLI(t, getenv, "sync", "--org", "acme", "--mode", "full", "--area", "employees"); err != nil {
				t.Fatalf("sync: %v\n%s", err, out)
			}
			if k := kinds(); len(k) != 0 {
				t.Fatalf("open problems after a good run: %v", k)
			}
		})
	}
}
