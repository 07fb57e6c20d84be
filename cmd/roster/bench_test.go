package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestBenchQuick runs `roster bench --quick` on both databases: the command
// operators and `make bench` use keeps working, prints the table, writes
// it, and the sync cases it measures hold (no rows written by a second
// full sync or a partial sync without changes). Timings are printed, never
// asserted.
func TestBenchQuick(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results.md")
	pg := storetest.PostgresURL()
	env := func(k string) string {
		if k == "ROSTER_BENCH_POSTGRES_URL" {
			return pg
		}
		return ""
	}
	stdout, stderr, err := runCLI(t, env, "bench", "--quick", "--db", "sqlite,postgres", "--cases", "partial,pages", "--out", out)
	if err != nil {
		if strings.Contains(err.Error(), "create database") && os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL not reachable: %v", err)
		}
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	t.Log("\n" + stdout)
	file, err := os.ReadFile(out)
	if err != nil || string(file) != stdout {
		t.Fatalf("results file differs from stdout (err %v)", err)
	}
	for _, db := range []string{"sqlite", "postgres"} {
		for _, want := range []string{
			"| 4. Second full sync, no changes | " + db + " | 500 | 0 rows |",
			"| 3. Partial sync, no changes | " + db + " | 500 | 1 requests, 0 rows |",
			"| 3. Partial sync, 1 % changed | " + db + " | 500 | 5 rows |",
			"| 6. Page Users (search + filter) | " + db + " | 500 |",
			"| 6. Page Map teams | " + db + " | 500 |",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("table lacks %q", want)
			}
		}
	}
}
