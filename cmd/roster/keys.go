package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rosterhq/roster/internal/secrets"
)

// maxListedFailures bounds the rows named in rotate's error.
const maxListedFailures = 20

func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		if len(args) > 0 {
			return fmt.Errorf("unknown command roster keys %s (usage: roster keys rotate [--batch N])", args[0])
		}
		return errors.New("usage: roster keys rotate [--batch N]")
	}
	return runKeysRotate(ctx, args[1:], getenv, stdout, stderr)
}

// runKeysRotate re-seals every secret at rest under ROSTER_SECRET_KEY (see
// README.md, "Rotating the secret key"). Values are never printed.
func runKeysRotate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	batch := fs.Int("batch", secrets.DefaultBatch, "values re-sealed per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("roster keys rotate takes no arguments, got %q", strings.Join(fs.Args(), " "))
	}
	if *batch <= 0 {
		return fmt.Errorf("--batch must be a positive number, got %d", *batch)
	}
	cfg, _, st, err := openStore(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	if cfg.SecretKeyGenerated {
		return errors.New("ROSTER_SECRET_KEY is not set (a development key was just generated): nothing was sealed under it; set ROSTER_SECRET_KEY to the new key and ROSTER_SECRET_KEY_PREVIOUS to the old one")
	}
	box, err := secrets.New(cfg.SecretKey, cfg.SecretKeyPrevious)
	if err != nil {
		return err
	}
	if cfg.SecretKeyPrevious != nil {
		prev, err := secrets.KeyID(cfg.SecretKeyPrevious)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Re-sealing secrets under key %s (previous key %s).\n", box.CurrentKeyID(), prev)
	} else {
		fmt.Fprintf(stdout, "Re-sealing secrets under key %s (ROSTER_SECRET_KEY_PREVIOUS is not set: only values sealed before key ids existed can move).\n", box.CurrentKeyID())
	}
	rep, rotErr := secrets.Rotate(ctx, st, box, *batch, nil)
	for _, c := range rep.Counts {
		line := fmt.Sprintf("%s: %d re-sealed, %d already under the new key", secrets.KindLabel(c.Kind), c.Resealed, c.Current)
		if c.Failed > 0 {
			line += fmt.Sprintf(", %d FAILED", c.Failed)
		}
		fmt.Fprintln(stdout, line)
	}
	if rotErr != nil {
		return fmt.Errorf("key rotation stopped (what was re-sealed stays re-sealed; run it again to resume): %w", rotErr)
	}
	if len(rep.Failures) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d sealed value(s) could not be re-sealed and were left unchanged (everything else was):", len(rep.Failures))
	for i, f := range rep.Failures {
		if i == maxListedFailures {
			fmt.Fprintf(&b, "\n  … and %d more", len(rep.Failures)-maxListedFailures)
			break
		}
		fmt.Fprintf(&b, "\n  %s: %s", f.Row(), f.Reason)
	}
	return errors.New(b.String())
}
