package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestMirrorCacheServesFreshDataAfterEveryWrite proves the facets cached
// under the mirror's version are recomputed after every kind of write to
// hr_employees, whoever makes it (the sync's upsert with an unchanged
// last_synced_at, marking removed, a plain UPDATE and DELETE), per
// organisation, and that a transaction neither reads nor leaves cached
// data of its own.
func TestMirrorCacheServesFreshDataAfterEveryWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
		var orgs []int64
		for _, slug := range []string{"acme", "beta"} {
			o := &store.Organization{Slug: slug, Name: slug, TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
			if err := st.CreateOrganization(ctx, o); err != nil {
				t.Fatal(err)
			}
			orgs = append(orgs, o.ID)
		}
		org, other := orgs[0], orgs[1]
		emp := func(orgID, id int64, team string) store.HREmployee {
			return store.HREmployee{OrgID: orgID, PersonioID: id, FirstName: "E", LastName: "N", Email: "e@x.test", Status: "active", TeamName: team, CostCenters: "[]",
				Custom: "{}", Warnings: "[]", CheckWarnings: "[]", InScope: true, FirstSeenAt: now, LastSyncedAt: now, LastRunID: 7}
		}
		var cache store.MirrorCache[store.HREmployeeFacets]
		loads := 0
		teams := func(s *store.Store, orgID int64) []string {
			t.Helper()
			f, err := cache.Get(ctx, s, orgID, "", func(ctx context.Context) (store.HREmployeeFacets, error) {
				loads++
				return s.HREmployeeFacets(ctx, orgID)
			})
			if err != nil {
				t.Fatal(err)
			}
			return f.Teams
		}
		want := func(step string, orgID int64, teamsWant []string, loadsWant int) {
			t.Helper()
			if got := teams(st, orgID); !slices.Equal(got, teamsWant) || loads != loadsWant {
				t.Fatalf("%s: teams %v after %d loads, want %v after %d", step, got, loads, teamsWant, loadsWant)
			}
		}

		want("empty mirror", org, nil, 1)
		if err := st.UpsertHREmployees(ctx, []store.HREmployee{emp(org, 1, "Sales"), emp(org, 2, "Ops"), emp(other, 1, "Legal")}); err != nil {
			t.Fatal(err)
		}
		want("first sync", org, []string{"Ops", "Sales"}, 2)
		want("unchanged mirror: cached", org, []string{"Ops", "Sales"}, 2)
		want("other organisation", other, []string{"Legal"}, 3)
		want("other organisation cached", other, []string{"Legal"}, 3)

		// The sync rewrites a row with the same last_synced_at and count.
		if err := st.UpsertHREmployees(ctx, []store.HREmployee{emp(org, 2, "Support")}); err != nil {
			t.Fatal(err)
		}
		want("upsert, same last_synced_at", org, []string{"Sales", "Support"}, 4)
		want("a write of another organisation leaves this one cached", other, []string{"Legal"}, 4)

		if _, err := st.MarkHREmployeesRemoved(ctx, org, []int64{1}, now, 8); err != nil {
			t.Fatal(err)
		}
		want("marked removed", org, []string{"Support"}, 5)

		if err := st.DB().Exec("UPDATE hr_employees SET team_name = 'Finance' WHERE org_id = ? AND personio_id = 2", org).Error; err != nil {
			t.Fatal(err)
		}
		want("plain UPDATE", org, []string{"Finance"}, 6)

		if err := st.DB().Exec("UPDATE hr_employees SET removed_at = NULL WHERE org_id = ? AND personio_id = 1", org).Error; err != nil {
			t.Fatal(err)
		}
		want("back from removed", org, []string{"Finance", "Sales"}, 7)

		// Inside a transaction: its own uncommitted rows, never cached; after
		// the rollback the committed data, not the transaction's.
		rollback := errors.New("rollback")
		err := st.Tx(ctx, func(tx *store.Store) error {
			if err := tx.UpsertHREmployees(ctx, []store.HREmployee{emp(org, 3, "Dry Run")}); err != nil {
				return err
			}
			if got := teams(tx, org); !slices.Contains(got, "Dry Run") {
				t.Errorf("the transaction does not see its own row: %v", got)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		want("after a rolled-back transaction", org, []string{"Finance", "Sales"}, 8)
		want("cached again", org, []string{"Finance", "Sales"}, 8)

		// A transaction bound to the context (a sync preview's, rolled
		// back): a store without the transaction of its own, used with
		// that context, caches nothing either.
		err = st.Tx(ctx, func(tx *store.Store) error {
			tctx := store.WithTx(ctx, tx)
			if err := st.UpsertHREmployees(tctx, []store.HREmployee{emp(org, 4, "Preview")}); err != nil {
				return err
			}
			f, err := cache.Get(tctx, st, org, "", func(ctx context.Context) (store.HREmployeeFacets, error) {
				loads++
				return st.HREmployeeFacets(ctx, org)
			})
			if err != nil {
				return err
			}
			if !slices.Contains(f.Teams, "Preview") {
				t.Errorf("the bound transaction does not see its own row: %v", f.Teams)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		// The next real write: on SQLite the counter reaches the number the
		// rolled-back transaction had; the cache must not serve its data.
		if err := st.UpsertHREmployees(ctx, []store.HREmployee{emp(org, 5, "Real")}); err != nil {
			t.Fatal(err)
		}
		want("a write after a rolled-back bound transaction", org, []string{"Finance", "Real", "Sales"}, 10)
		if err := st.DB().Exec("DELETE FROM hr_employees WHERE org_id = ? AND personio_id = 5", org).Error; err != nil {
			t.Fatal(err)
		}
		want("and back", org, []string{"Finance", "Sales"}, 11)

		if err := st.DB().Exec("DELETE FROM hr_employees WHERE org_id = ? AND personio_id = 2", org).Error; err != nil {
			t.Fatal(err)
		}
		want("DELETE", org, []string{"Sales"}, 12)

		// Deleting an organisation deletes its employees: the counter's
		// trigger does not stand in the way.
		if err := st.DB().Exec("DELETE FROM organizations WHERE id = ?", other).Error; err != nil {
			t.Fatalf("delete an organisation with employees: %v", err)
		}
		want("the other organisation is gone", other, nil, 13)
	})
}

// TestMirrorCacheForgetsFailures proves a failed or panicking computation
// is not cached, and that a caller waiting for it computes for itself
// instead of waiting forever.
func TestMirrorCacheForgetsFailures(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := t.Context()
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	o := &store.Organization{Slug: "acme", Name: "acme", TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	var cache store.MirrorCache[int]
	boom := errors.New("boom")
	if _, err := cache.Get(ctx, st, o.ID, "", func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("first: %v", err)
	}
	if v, err := cache.Get(ctx, st, o.ID, "", func(context.Context) (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Fatalf("after a failure: %d %v", v, err)
	}

	var other store.MirrorCache[int]
	started, release := make(chan struct{}), make(chan struct{})
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		_, _ = other.Get(ctx, st, o.ID, "", func(context.Context) (int, error) {
			close(started)
			<-release
			panic("load failed")
		})
	}()
	<-started
	waited := make(chan int, 1)
	go func() {
		v, err := other.Get(ctx, st, o.ID, "", func(context.Context) (int, error) { return 9, nil })
		if err != nil {
			t.Error(err)
		}
		waited <- v
	}()
	close(release)
	if p := <-panicked; p == nil {
		t.Fatal("the panic was swallowed")
	}
	if v := <-waited; v != 9 {
		t.Fatalf("the waiter got %d", v)
	}
	// 9 when the waiter came after the failed entry was gone and cached
	// its own value, 11 otherwise: never the failed computation's zero.
	if v, err := other.Get(ctx, st, o.ID, "", func(context.Context) (int, error) { return 11, nil }); (v != 9 && v != 11) || err != nil {
		t.Fatalf("after a panic: %d %v", v, err)
	}
}
