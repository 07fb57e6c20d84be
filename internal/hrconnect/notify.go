package hrconnect

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// UserMailer emails a user of an organisation.
type UserMailer interface {
	EmailUser(ctx context.Context, orgID, userID int64, subject, text, path string) error
}

// FirstImportNotifier returns the sync engine's OnFinish hook: when a first
// import ends, the admin who started it gets an email with the outcome.
func FirstImportNotifier(m UserMailer, log *slog.Logger) func(context.Context, *store.SyncRun) {
	return func(ctx context.Context, run *store.SyncRun) {
		if run.Trigger != store.TriggerFirstImport || run.StartedByID == nil {
			return
		}
		subject := "Your first Personio import is done"
		text := fmt.Sprintf("The first import from Personio finished: %d employees, %d new, %d warnings, in %s.",
			run.Processed, run.NewCount, run.WarningCount, run.Duration().Round(time.Second))
		if run.Status != store.RunSucceeded {
			subject = "Your first Personio import failed"
			text = "The first import from Personio failed: " + run.Error
		}
		if err := m.EmailUser(ctx, run.OrgID, *run.StartedByID, subject, text, fmt.Sprintf("/settings/hr/runs/%d", run.ID)); err != nil && log != nil {
			log.Error("first import email failed", "org_id", run.OrgID, "run_id", run.ID, "err", err)
		}
	}
}
