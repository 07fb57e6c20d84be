// Package storetest opens fresh, migrated databases for tests: a temp SQLite
// file per test, and on PostgreSQL a fresh database per test cloned from a
// migrated template, so tests can run in parallel.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the admin connection

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/migrations"
)

// DefaultPostgresURL is used when ROSTER_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresURL returns the admin URL tests use.
func PostgresURL() string {
	if u := os.Getenv("ROSTER_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Dialects lists the dialects under test.
func Dialects() []store.Dialect { return []store.Dialect{store.SQLite, store.Postgres} }

// Each runs fn as a subtest per dialect with a fresh migrated store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated store of dialect d, closed at test end.
// PostgreSQL that cannot be reached skips the test, or fails it when CI=true.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	url := URL(t, d)
	s, err := store.Open(store.Options{DatabaseURL: pgOnly(d, url), SQLitePath: sqliteOnly(d, url)})
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if d == store.SQLite {
		if _, err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate sqlite: %v", err)
		}
	}
	return s
}

func pgOnly(d store.Dialect, u string) string {
	if d == store.Postgres {
		return u
	}
	return ""
}

func sqliteOnly(d store.Dialect, u string) string {
	if d == store.SQLite {
		return u
	}
	return ""
}

// URL returns a fresh database location for dialect d: a SQLite file path
// (not yet migrated) or a postgres:// URL of a database cloned from the
// migrated template. The database is dropped at test end.
func URL(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return filepath.Join(t.TempDir(), "roster.db")
	}
	admin := adminDB(t)
	tpl := templateName(t, admin)
	name := "roster_t_" + randHex(8)
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		_, err = admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tpl))
		if err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return withDB(PostgresURL(), name)
}

var (
	adminOnce sync.Once
	adminConn *sql.DB
	adminErr  error
	tplOnce   sync.Once
	tplName   string
	tplErr    error
)

func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	adminOnce.Do(func() {
		db, err := sql.Open("pgx", PostgresURL())
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			err = db.PingContext(ctx)
		}
		if err != nil {
			adminErr = err
			return
		}
		db.SetMaxOpenConns(4)
		adminConn = db
	})
	if adminErr != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable at %s (set ROSTER_TEST_POSTGRES_URL): %v", redact(PostgresURL()), adminErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return adminConn
}

// templateName creates (once per migration set, shared by parallel test
// processes through an advisory lock) a migrated template database.
func templateName(t testing.TB, admin *sql.DB) string {
	t.Helper()
	tplOnce.Do(func() {
		name := "roster_tpl_" + migrationsHash()
		ctx := context.Background()
		conn, err := admin.Conn(ctx)
		if err != nil {
			tplErr = err
			return
		}
		defer func() { _ = conn.Close() }()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
			tplErr = err
			return
		}
		defer func() { _, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(727274)`) }()
		var exists bool
		if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
			tplErr = err
			return
		}
		if !exists {
			building := name + "_b"
			_, _ = conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
			if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
				tplErr = err
				return
			}
			s, err := store.Open(store.Options{DatabaseURL: withDB(PostgresURL(), building)})
			if err != nil {
				tplErr = err
				return
			}
			_, err = s.Migrate(ctx)
			_ = s.Close()
			if err != nil {
				tplErr = fmt.Errorf("migrate template: %w", err)
				return
			}
			if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
				tplErr = err
				return
			}
		}
		tplName = name
	})
	if tplErr != nil {
		t.Fatalf("postgres template: %v", tplErr)
	}
	return tplName
}

func migrationsHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, "postgres", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(migrations.FS, p)
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func withDB(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
