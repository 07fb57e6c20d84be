// Package lifecycle applies what changed in Personio to the linked users
// after each employee sync.
package lifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/linking"
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

// Updater applies changed employees to their linked users.
type Updater struct {
	st  *store.Store
	now func() time.Time
	log *slog.Logger
}

// New builds an Updater; now defaults to time.Now and log discards when nil.
func New(st *store.Store, now func() time.Time, log *slog.Logger) *Updater {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Updater{st: st, now: now, log: log}
}

// AfterRun is the hrsync.Options.AfterRun hook: it applies the employees
// changed by the run to their linked users and logs how many changed.
func (u *Updater) AfterRun(ctx context.Context, run *store.SyncRun) error {
	n, err := u.Apply(ctx, run.OrgID, run.ID)
	if err != nil {
		return err
	}
	u.log.LogAttrs(ctx, slog.LevelInfo, "linked users updated from personio",
		slog.Int64("org_id", run.OrgID), slog.Int64("run_id", run.ID), slog.Int("users_updated", n))
	return nil
}

// Apply gives every linked, not deactivated user of the organisation whose
// employee the run changed the employee's name, job title and mapped team,
// in batches of BatchSize, writing and auditing only users that differ. It
// returns the number of users changed.
func (u *Updater) Apply(ctx context.Context, orgID, runID int64) (int, error) {
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
		c := &change{row: r}
		fields := map[string]any{}
		if name := linking.EmployeeName(&r.HREmployee); name != "" && name != r.UserName {
			fields["name"] = name
			c.details = append(c.details, fmt.Sprintf("name %q → %q", r.UserName, name))
		}
		if r.Position != r.UserJobTitle {
			fields["job_title"] = r.Position
			c.details = append(c.details, fmt.Sprintf("job title %q → %q", r.UserJobTitle, r.Position))
		}
		if len(fields) > 0 {
			if err := tx.UpdateUserFields(ctx, orgID, r.UserID, fields); err != nil {
				return 0, fmt.Errorf("update user %d: %w", r.UserID, err)
			}
		}
		changes[r.UserID] = c
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
