package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/store"
)

// newSyncService builds the employee sync engine on top of the HR connection.
func newSyncService(st *store.Store, hr *hrconnect.Service, acc *accounts.Service, log *slog.Logger) (*hrsync.Service, error) {
	return hrsync.New(hrsync.Options{Store: st, Providers: hr.Provider, Logger: log.With("component", "hrsync"),
		OnFinish: hrconnect.FirstImportNotifier(acc, log),
		AfterRun: lifecycle.New(st, nil, log.With("component", "lifecycle")).AfterRun})
}

// scheduledSync adapts the sync engine to the scheduler.
type scheduledSync struct{ sync *hrsync.Service }

func (s scheduledSync) RunScheduled(ctx context.Context, orgID int64, mode string) error {
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
	return errors.Join(err1, err2, err3)
}
