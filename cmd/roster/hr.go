package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rosterhq/roster/internal/config"
	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
)

// cliActor is the system acting with admin rights inside one organisation.
func cliActor(ctx context.Context, st *store.Store, slug string) (roster.Actor, error) {
	org, err := st.OrganizationBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return roster.Actor{}, fmt.Errorf("no organisation with slug %q", slug)
	}
	if err != nil {
		return roster.Actor{}, err
	}
	return roster.Actor{OrgID: org.ID, Name: "roster CLI", Role: store.RoleAdmin}, nil
}

func newHRService(cfg *config.Config, st *store.Store, stderr io.Writer) (*hrconnect.Service, error) {
	box, err := secrets.New(cfg.SecretKey, cfg.SecretKeyPrevious)
	if err != nil {
		return nil, err
	}
	return hrconnect.New(hrconnect.Options{Store: st, Box: box, Logger: newLogger(stderr, cfg.LogLevel)}), nil
}

func runHR(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: roster hr connect|employees …")
	}
	switch args[0] {
	case "connect":
		return runHRConnect(ctx, args[1:], getenv, stdout, stderr)
	case "employees":
		return runHREmployees(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown command roster hr %s", args[0])
}

func runHRConnect(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hr connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	slug := fs.String("org", "", "organisation slug")
	base := fs.String("base-url", "", "Personio API base URL (default https://api.personio.de)")
	id := fs.String("client-id", "", "client ID")
	secretFile := fs.String("client-secret-file", "", "file holding the client secret (- for stdin)")
	partner := fs.String("partner-id", "", "X-Personio-Partner-ID (UPPER_SNAKE_CASE)")
	app := fs.String("app-id", "", "X-Personio-App-ID (UPPER_SNAKE_CASE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret, err := readSecretFile("client-secret-file", *secretFile, os.Stdin)
	if err != nil {
		return err
	}
	cfg, _, st, err := openStore(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	a, err := cliActor(ctx, st, *slug)
	if err != nil {
		return err
	}
	hr, err := newHRService(cfg, st, stderr)
	if err != nil {
		return err
	}
	res, err := hr.Connect(ctx, a, hrconnect.Credentials{Provider: hrconnect.ProviderPersonio, BaseURL: *base, ClientID: *id,
		ClientSecret: strings.TrimSpace(secret), PartnerID: *partner, AppID: *app})
	if fe := roster.FieldErrors(err); fe != nil {
		var b strings.Builder
		for k, v := range fe {
			if k != "" {
				k = "--" + strings.ReplaceAll(k, "_", "-") + ": "
			}
			fmt.Fprintf(&b, "\n  %s%s", k, v)
		}
		return fmt.Errorf("connection check failed:%s", b.String())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "connected: %d of %d attributes Roster uses are readable\n", len(hrconnect.UsedAttributes)-res.Missing, len(hrconnect.UsedAttributes))
	for _, at := range res.Attributes {
		state := "readable"
		if !at.Readable {
			state = "MISSING  (" + at.Feature + " off)"
		}
		fmt.Fprintf(stdout, "  %-22s %s\n", at.Key, state)
	}
	return nil
}
