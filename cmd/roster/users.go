package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

func runUsers(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New("usage: roster users export --org SLUG --format csv|json")
	}
	fs := flag.NewFlagSet("users export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	slug := fs.String("org", "", "organisation slug")
	format := fs.String("format", "csv", "csv or json")
	status := fs.String("status", "", "only users with this status (active, invited, deactivated)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("--format must be csv or json, got %q", *format)
	}
	_, log, st, err := openStore(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	org, err := st.OrganizationBySlug(ctx, *slug)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no organisation with slug %q", *slug)
	}
	if err != nil {
		return err
	}
	acc := accounts.New(accounts.Options{Store: st, Mailer: mail.NewMailbox(), Logger: log})
	// The CLI acts as the system with admin rights inside the chosen organisation.
	return acc.ExportUsers(ctx, roster.Actor{OrgID: org.ID, Name: "roster CLI", Role: store.RoleAdmin}, store.UserFilter{Status: *status}, *format, stdout)
}
