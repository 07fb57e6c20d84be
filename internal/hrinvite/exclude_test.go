package hrinvite_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestExcludeAndInclude(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		f.employees(t, emp{id: 1, email: "a@acme.test", team: "Core"}, emp{id: 2, email: "b@acme.test", team: "Core"})
		ctx := t.Context()

		e, changed, err := f.svc.Exclude(ctx, f.owner, 1, "  contractor ")
		if err != nil || !changed || e.PersonioID != 1 {
			t.Fatalf("exclude: %v %v %v", e, changed, err)
		}
		if _, changed, err := f.svc.Exclude(ctx, f.owner, 1, ""); err != nil || changed {
			t.Fatalf("exclude twice: %v %v", changed, err)
		}
		p, err := f.svc.List(ctx, f.owner, hrinvite.Filter{}, 1)
		if err != nil || !slices.Equal(ids(p), []int64{2}) {
			t.Fatalf("list after exclude: %v %v", ids(p), err)
		}
		_, err = f.svc.Invite(ctx, f.owner, []int64{1})
		if fe := roster.FieldErrors(err); fe["employee_1"] == "" {
			t.Fatalf("invite excluded: %v", err)
		}
		if n := len(f.mb.Messages()); n != 0 {
			t.Fatalf("%d mails", n)
		}
		ex, err := f.svc.Excluded(ctx, f.owner, []int64{1, 2})
		if err != nil || !ex[1] || ex[2] {
			t.Fatalf("excluded %v %v", ex, err)
		}
		evs, _, err := st.ListAudit(ctx, f.org, store.AuditFilter{Action: hrinvite.ActionExcluded})
		if err != nil || len(evs) != 1 || evs[0].Details != "Personio employee 1; reason: contractor" {
			t.Fatalf("audit %+v %v", evs, err)
		}

		if _, changed, err := f.svc.Include(ctx, f.owner, 1); err != nil || !changed {
			t.Fatalf("include: %v %v", changed, err)
		}
		if _, changed, err := f.svc.Include(ctx, f.owner, 1); err != nil || changed {
			t.Fatalf("include twice: %v %v", changed, err)
		}
		evs, _, err = st.ListAudit(ctx, f.org, store.AuditFilter{Action: hrinvite.ActionIncluded})
		if err != nil || len(evs) != 1 {
			t.Fatalf("include audit %+v %v", evs, err)
		}
		p, err = f.svc.List(ctx, f.owner, hrinvite.Filter{}, 1)
		if err != nil || !slices.Equal(ids(p), []int64{1, 2}) {
			t.Fatalf("list after include: %v %v", ids(p), err)
		}
		if n, err := f.svc.Invite(ctx, f.owner, []int64{1}); err != nil || n != 1 {
			t.Fatalf("invite after include: %d %v", n, err)
		}

		// Unknown ids and other organisations' employees are not found.
		if _, _, err := f.svc.Exclude(ctx, f.owner, 999, ""); !errors.Is(err, roster.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}
		other := roster.Actor{UserID: f.owner.UserID, OrgID: f.org + 1000, Name: "X", Role: store.RoleOwner}
		if _, _, err := f.svc.Exclude(ctx, other, 2, ""); !errors.Is(err, roster.ErrNotFound) {
			t.Errorf("other org: %v", err)
		}
		member := f.owner
		member.Role = store.RoleMember
		if _, _, err := f.svc.Exclude(ctx, member, 2, ""); !errors.Is(err, roster.ErrForbidden) {
			t.Errorf("member exclude: %v", err)
		}
		if _, _, err := f.svc.Include(ctx, member, 1); !errors.Is(err, roster.ErrForbidden) {
			t.Errorf("member include: %v", err)
		}
	})
}
