package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/config"
	"github.com/rosterhq/roster/internal/health"
	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/store"
)

// syncLeaseTTL is the sync lease's time to live (zero: hrsync.DefaultLeaseTTL).
// Only the crash-recovery test (crash_test.go) shortens it, in the roster
// processes it kills, so that a killed run's lease expires within seconds.
var syncLeaseTTL time.Duration

// newSyncService builds the employee sync engine on top of the HR connection.
// Every run applies its changes to the linked users through life.
// Every finished run is checked for sync health problems (a failed run
// opens one and alerts the admins).
func newSyncService(st *store.Store, hr *hrconnect.Service, acc *accounts.Service, life *lifecycle.Updater, hl *health.Service, log *slog.Logger, areas map[string]hrsync.AreaFunc) (*hrsync.Service, error) {
	firstImport := hrconnect.FirstImportNotifier(acc, log)
	return hrsync.New(hrsync.Options{Store: st, Providers: hr.Provider, Logger: log.With("component", "hrsync"), LeaseTTL: syncLeaseTTL,
		OnFinish: func(ctx context.Context, run *store.SyncRun) {
			firstImport(ctx, run)
			hl.OnFinish(ctx, run)
		},
		AfterRun: life.AfterRun, Areas: areas})
}

// newSender is the configured SMTP sender, or the dev mailbox (returned
// too) when ROSTER_SMTP_URL is not set.
func newSender(cfg *config.Config, log *slog.Logger) (mail.Sender, *mail.Mailbox, error) {
	if cfg.SMTPURL != "" {
		sender, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		return sender, nil, err
	}
	mailbox := mail.NewMailbox()
	log.Info("ROSTER_SMTP_URL is not set: emails go to the dev mailbox", "url", cfg.BaseURL+"/dev/mailbox")
	return mailbox, mailbox, nil
}

// scheduledSync adapts the sync engine to the scheduler.
type scheduledSync struct{ sync *hrsync.Service }

func (s scheduledSync) RunScheduled(ctx context.Context, orgID int64, mode string) error {
	// While the first import waits as a preview for an admin's review, the
	// schedule must not import behind the admin's back: it waits too.
	if _, err := s.sync.LastSuccessful(ctx, orgID, store.AreaEmployees); errors.Is(err, store.ErrNotFound) {
		if _, err := s.sync.PendingPreview(ctx, orgID); err == nil {
			return nil
		}
	}
	run, started, err := s.sync.Run(ctx, orgID, hrsync.Request{Area: store.AreaEmployees, Mode: mode, Trigger: store.TriggerSchedule})
	if err != nil {
		return err
	}
	if !started {
		return nil // another run of this organisation is in progress
	}
	if run.Status == store.RunFailed {
		return errors.New(run.Error)
	}
	return nil
}

// housekeeping prunes what is older than its retention, once a day.
type housekeeping struct {
	st   *store.Store
	sync *hrsync.Service
}

func (h housekeeping) Prune(ctx context.Context, now time.Time) error {
	_, err1 := h.st.DeleteExpiredSessions(ctx, now)
	_, _, err2 := h.sync.PruneLogs(ctx, now.AddDate(0, -2, 0))
	_, err3 := h.st.PruneJobClaims(ctx, now.AddDate(0, 0, -7))
	_, err4 := h.st.PruneOutboxItems(ctx, now.AddDate(0, -2, 0))
	_, err5 := h.st.PrunePreviews(ctx, now.AddDate(0, -2, 0))
	return errors.Join(err1, err2, err3, err4, err5)
}
