package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/rosterhq/roster/internal/config"
	"github.com/rosterhq/roster/internal/store"
)

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// openStore loads config, opens and migrates the database.
func openStore(ctx context.Context, getenv func(string) string, stderr io.Writer) (*config.Config, *slog.Logger, *store.Store, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(stderr, cfg.LogLevel)
	if cfg.SecretKeyGenerated {
		log.Warn("ROSTER_SECRET_KEY is not set: generated a development key", "path", cfg.DataDir+"/secret.key")
	}
	st, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath(), Logger: log})
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := st.Migrate(ctx)
	if err != nil {
		_ = st.Close()
		return nil, nil, nil, err
	}
	log.Debug("database ready", "dialect", st.Dialect(), "schema_version", v)
	return cfg, log, st, nil
}

func runMigrate(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	_, _, st, err := openStore(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	v, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s database migrated to version %d\n", st.Dialect(), v)
	return nil
}

func printVars(w io.Writer) {
	fmt.Fprintln(w, "\nEnvironment:")
	for _, v := range config.Vars {
		def := v.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(w, "  %-26s default %s\n      %s\n", v.Name, def, strings.TrimSpace(v.Help))
	}
}

// readSecretFile reads a password or secret from a file, or from stdin for
// "-"; secrets are never taken on the command line. Trailing newlines are dropped.
func readSecretFile(flagName, path string, stdin io.Reader) (string, error) {
	if path == "" {
		return "", fmt.Errorf("--%s is required (secrets are never taken on the command line)", flagName)
	}
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(io.LimitReader(stdin, 4096))
	} else {
		raw, err = os.ReadFile(path) //nolint:gosec // G304: the operator names this file on purpose
	}
	if err != nil {
		return "", fmt.Errorf("read --%s: %w", flagName, err)
	}
	return strings.TrimRight(string(raw), "\r\n"), nil
}
