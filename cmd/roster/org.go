package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/roster"
)

func runOrg(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: roster org create --name N --timezone TZ --owner-email E --owner-name N --owner-password-file F")
	}
	fs := flag.NewFlagSet("org create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "organisation name")
	tz := fs.String("timezone", "", "IANA time zone, e.g. Europe/Berlin")
	email := fs.String("owner-email", "", "owner's email")
	owner := fs.String("owner-name", "", "owner's name")
	pwFile := fs.String("owner-password-file", "", "file holding the owner's password (- for stdin)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	password, err := readSecretFile("owner-password-file", *pwFile, os.Stdin)
	if err != nil {
		return err
	}
	_, log, st, err := openStore(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	acc := accounts.New(accounts.Options{Store: st, Mailer: mail.NewMailbox(), Logger: log})
	org, _, err := acc.CreateOrganization(ctx, accounts.SetupInput{OrgName: *name, TimeZone: *tz, OwnerName: *owner, Email: *email,
		Password: password})
	if fe := roster.FieldErrors(err); fe != nil {
		var b strings.Builder
		for k, v := range fe {
			fmt.Fprintf(&b, "\n  %s: %s", flagFor(k), v)
		}
		return fmt.Errorf("cannot create organisation:%s", b.String())
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, org.Slug)
	return nil
}

func flagFor(field string) string {
	switch field {
	case "org_name":
		return "--name"
	case "timezone":
		return "--timezone"
	case "email":
		return "--owner-email"
	case "name":
		return "--owner-name"
	case "password":
		return "--owner-password-file"
	}
	return field
}
