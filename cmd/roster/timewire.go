package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/timetrack"
)

// newOutbox builds the durable outbox with the time-entry pusher; the
// absence pusher is registered where absence sync is wired.
func newOutbox(st *store.Store, hr *hrconnect.Service, ntf *notify.Service, log *slog.Logger) *outbox.Service {
	return outbox.New(outbox.Options{Store: st, Providers: hr.Provider, Log: log.With("component", "outbox"), Notify: ntf,
		Pushers: map[string]outbox.Pusher{store.OutboxTimeEntry: timetrack.NewPusher(st)}})
}

// afterSyncPushBudget bounds the pushes at the end of an employee sync:
// Personio takes about 5 pushes a second, so a large backlog would hold the
// sync open for minutes; what is left goes with the outbox job (every 5
// minutes) and the items cut short are retried (a create first looks for
// what it may have made).
const afterSyncPushBudget = 20 * time.Second

// outboxAfterSync pushes the due items of every kind at the end of each
// employee sync (a lifecycle Also step), logged with the run, for at most
// afterSyncPushBudget.
func outboxAfterSync(ob *outbox.Service) func(context.Context, *store.SyncRun) error {
	return func(ctx context.Context, run *store.SyncRun) error {
		pctx, cancel := context.WithTimeout(ctx, afterSyncPushBudget)
		defer cancel()
		_, err := ob.PushDue(outbox.WithRunID(pctx, run.ID), run.OrgID)
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil // the budget is spent; the outbox job goes on
		}
		return err
	}
}

// outboxArea is the sync of an area that pushes the due items of kind
// (Sync Now › Time tracking), recorded in the run's counts.
func outboxArea(ob *outbox.Service, kind string) hrsync.AreaFunc {
	return func(ctx context.Context, run *store.SyncRun) (hrsync.AreaCounts, error) {
		res, err := ob.PushDue(outbox.WithRunID(ctx, run.ID), run.OrgID, kind)
		return hrsync.AreaCounts{Processed: res.Pushed + res.Retrying + res.Failed, Pushed: res.Pushed, Retrying: res.Retrying, Failed: res.Failed}, err
	}
}
