// Package lifecycle applies what changed in Personio to the linked users
// after each employee sync.
package lifecycle

import (
	"context"
	"fmt"
	"github.com/rosterhq/roster/internal/dryrun"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/teammap"
)

const (
	// ActionUpdated is the audit action of a user changed by a sync.
	ActionUpdated = "user.updated_from_personio"
	// ActorName names the sync in the audit log.
	ActorName = "Personio sync"
	// BatchSize is how many changed employees are applied per transaction.
	BatchSize = 500
)

// Updater applies what changed in Personio to the linked users: fields
// (Apply), manager relations (managers.go), new hires (newhires.go) and
// leavers with the safeguard (leavers.go).
type Updater struct {
	st       *store.Store
	now      func() time.Time
	log      *slog.Logger
	notify   *notify.Service
	accounts *accounts.Service
	invite   *hrinvite.Service
	also     []func(context.Context, *store.SyncRun) error
}

// Options configure an Updater. Store is required; the rest may be nil
// (no notifications, no deactivation emails, no auto-invite).
type Options struct {
	Store    *store.Store
	Now      func() time.Time
	Log      *slog.Logger
	Notify   *notify.Service
	Accounts *accounts.Service
	Invite   *hrinvite.Service
	// Also are further steps run at the end of AfterRun, in order (e.g.
	// importing reimbursement details).
	Also []func(ctx context.Context, run *store.SyncRun) error
}

// New builds an Updater; Now defaults to time.Now and Log discards when nil.
func New(o Options) *Updater {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Updater{st: o.Store, now: o.Now, log: o.Log, notify: o.Notify, accounts: o.Accounts, invite: o.Invite, also: o.Also}
}

// AfterRun is the hrsync.Options.AfterRun hook: it applies the employees
// changed by the run to their linked users (fields, then managers), then
// handles new hires and leavers, and records the counts on the run.
func (u *Updater) AfterRun(ctx context.Context, run *store.SyncRun) error {
	ctx = store.WithLineageOrigin(ctx, store.LineageOrigin{RunID: &run.ID, Source: ActorName})
	n, err := u.Apply(ctx, run.OrgID, run.ID)
	if err != nil {
		return err
	}
	m, err := u.applyManagers(ctx, run.OrgID)
	if err != nil {
		return err
	}
	if err := u.newHires(ctx, run); err != nil {
		return err
	}
	d, err := u.leavers(ctx, run)
	if err != nil {
		return err
	}
	for _, step := range u.also {
		if e := dryrun.From(ctx); e != nil {
			// A preview or its apply runs in a transaction: the further
			// steps (they call Personio) run after the commit.
			e.Defer(func(c context.Context) error { return step(c, run) })
			continue
		}
		if err := step(ctx, run); err != nil {
			return err
		}
	}
	if err := u.st.SetRunUserCounts(ctx, run.OrgID, run.ID, n+m, d); err != nil {
		return fmt.Errorf("lifecycle: record counts of run %d: %w", run.ID, err)
	}
	u.log.LogAttrs(ctx, slog.LevelInfo, "linked users updated from personio",
		slog.Int64("org_id", run.OrgID), slog.Int64("run_id", run.ID), slog.Int("users_updated", n),
		slog.Int("managers_changed", m), slog.Int("deactivated", d))
	return nil
}

// Tick does the work that falls due with time rather than with a sync:
// scheduled deactivations whose moment has passed and invitations of new
// hires due today. The scheduler calls it for every connected organisation.
func (u *Updater) Tick(ctx context.Context, orgID int64) error {
	if _, err := u.dueDeactivations(ctx, orgID); err != nil {
		return err
	}
	return u.dueInvites(ctx, orgID)
}

// Apply gives every linked, not deactivated user of the organisation whose
// employee the run changed the employee's fields (name, job title, dates,
// cost center, picture; linking.Diff) and mapped team, in batches of
// BatchSize, writing (with personio_synced_at) and auditing only users that
// differ. It returns the number of users changed.
func (u *Updater) Apply(ctx context.Context, orgID, runID int64) (int, error) {
	if _, ok := store.LineageOriginOf(ctx); !ok {
		ctx = store.WithLineageOrigin(ctx, store.LineageOrigin{RunID: &runID, Source: ActorName})
	}
	total := 0
	var after int64
	teamNames := map[int64]string(nil)
	for {
		var rows []store.LinkedEmployee
		err := u.st.Tx(ctx, func(tx *store.Store) error {
			var err error
			rows, err = tx.ChangedLinkedEmployees(ctx, orgID, runID, after, BatchSize)
			if err != nil || len(rows) == 0 {
				return err
			}
			n, err := u.applyBatch(ctx, tx, orgID, rows, &teamNames)
			total += n
			return err
		})
		if err != nil {
			return total, fmt.Errorf("lifecycle: update linked users of org %d (run %d): %w", orgID, runID, err)
		}
		if len(rows) < BatchSize {
			return total, nil
		}
		after = rows[len(rows)-1].UserID
	}
}

type change struct {
	row     *store.LinkedEmployee
	fields  []linking.FieldChange
	details []string
}

func (u *Updater) applyBatch(ctx context.Context, tx *store.Store, orgID int64, rows []store.LinkedEmployee, teamNames *map[int64]string) (int, error) {
	now := u.now()
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].UserID
	}
	before, err := personioTeams(ctx, tx, orgID, ids)
	if err != nil {
		return 0, err
	}
	changes := map[int64]*change{}
	for i := range rows {
		r := &rows[i]
		cur := linking.Fields{Name: r.UserName, JobTitle: r.UserJobTitle, HireDate: r.UserHireDate, LastWorkingDay: r.UserLastWorkingDay,
			TerminationDate: r.UserTerminationDate, CostCenter: r.UserCostCenter, PictureURL: r.UserPictureURL}
		fs := linking.Diff(cur, linking.EmployeeFields(&r.HREmployee))
		changes[r.UserID] = &change{row: r, fields: fs, details: linking.Details(fs)}
	}
	moved, err := teammap.ReassignUsers(ctx, tx, orgID, ids, now)
	if err != nil {
		return 0, err
	}
	if moved > 0 {
		afterTeams, err := personioTeams(ctx, tx, orgID, ids)
		if err != nil {
			return 0, err
		}
		if *teamNames == nil {
			ts, err := tx.ListTeams(ctx, orgID)
			if err != nil {
				return 0, fmt.Errorf("list teams: %w", err)
			}
			*teamNames = make(map[int64]string, len(ts))
			for _, t := range ts {
				(*teamNames)[t.ID] = t.Name
			}
		}
		for _, id := range ids {
			if !slices.Equal(before[id], afterTeams[id]) {
				changes[id].details = append(changes[id].details, fmt.Sprintf("team %s → %s",
					names(*teamNames, before[id]), names(*teamNames, afterTeams[id])))
			}
		}
	}
	actor := roster.Actor{OrgID: orgID, Name: ActorName}
	n := 0
	for _, id := range ids {
		c := changes[id]
		if len(c.details) == 0 {
			continue
		}
		fields := linking.Updates(c.fields, now)
		if fields == nil {
			fields = map[string]any{"personio_synced_at": now.UTC()}
		}
		if err := tx.UpdateUserFields(ctx, orgID, id, fields); err != nil {
			return 0, fmt.Errorf("update user %d: %w", id, err)
		}
		if err := tx.RecordLineage(ctx, orgID, ActorName, now, linking.Lineage(id, c.fields)); err != nil {
			return 0, err
		}
		details := fmt.Sprintf("Personio employee %d; %s", c.row.PersonioID, strings.Join(c.details, "; "))
		if err := tx.AddAudit(ctx, store.NewAuditEvent(actor, ActionUpdated, "user", id, c.row.UserEmail, details, now)); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// personioTeams maps each user to the sorted ids of the teams the mapping
// gave them.
func personioTeams(ctx context.Context, tx *store.Store, orgID int64, ids []int64) (map[int64][]int64, error) {
	ms, err := tx.MembershipsOfUsers(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64][]int64{}
	for _, m := range ms {
		if m.Source == teammap.SourcePersonio {
			out[m.UserID] = append(out[m.UserID], m.TeamID)
		}
	}
	for _, ts := range out {
		slices.Sort(ts)
	}
	return out, nil
}

func names(byID map[int64]string, ids []int64) string {
	if len(ids) == 0 {
		return "none"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprintf("%q", byID[id])
	}
	return strings.Join(out, ", ")
}
