package store_test

import (
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestWriteHREmployeesInsertsAndUpdates: the rows a sync writes read back
// the same whether they were inserted (new to the mirror) or upserted,
// with NULLs, booleans and large ids intact, and existing rows keep their
// first-seen time and check warnings.
func TestWriteHREmployeesInsertsAndUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
		o := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
		if err := st.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		sup := int64(1) << 40
		updated := now.Add(-time.Hour)
		var rows []store.HREmployee
		for i := range 25 { // more than one statement's worth
			r := store.HREmployee{OrgID: o.ID, PersonioID: int64(i + 1), FirstName: "F", LastName: "L'ast?", Email: "e@x.test", Status: "active",
				DepartmentID: -3, TeamID: int64(i), CostCenters: "[]", Custom: `{"k":{"value":"?"}}`, Warnings: "[]", InScope: i%2 == 0,
				ScopeReason: map[bool]string{false: "status"}[i%2 == 0], WeeklyHours: 38.5, FirstSeenAt: now, LastSyncedAt: now, LastRunID: 7, RawHash: "h"}
			if i%3 == 0 {
				r.SupervisorID, r.PersonioUpdatedAt = &sup, &updated
			}
			rows = append(rows, r)
		}
		check := func(label string, firstSeen time.Time, checks string) {
			t.Helper()
			for _, want := range rows {
				got, err := st.HREmployee(ctx, o.ID, want.PersonioID)
				if err != nil {
					t.Fatalf("%s: %d: %v", label, want.PersonioID, err)
				}
				if got.LastName != want.LastName || got.Custom != want.Custom || got.InScope != want.InScope || got.ScopeReason != want.ScopeReason ||
					got.DepartmentID != -3 || got.TeamID != want.TeamID || got.WeeklyHours != 38.5 || got.LastRunID != want.LastRunID ||
					!got.FirstSeenAt.Equal(firstSeen) || !got.LastSyncedAt.Equal(want.LastSyncedAt) || got.CheckWarnings != checks || got.RemovedAt != nil {
					t.Errorf("%s: read back %+v, wrote %+v", label, got, want)
				}
				if (got.SupervisorID == nil) != (want.SupervisorID == nil) || got.SupervisorID != nil && *got.SupervisorID != sup {
					t.Errorf("%s: %d: supervisor %v", label, want.PersonioID, got.SupervisorID)
				}
				if (got.PersonioUpdatedAt == nil) != (want.PersonioUpdatedAt == nil) || got.PersonioUpdatedAt != nil && !got.PersonioUpdatedAt.Equal(updated) {
					t.Errorf("%s: %d: updated %v", label, want.PersonioID, got.PersonioUpdatedAt)
				}
			}
		}
		if err := st.WriteHREmployees(ctx, rows, nil); err != nil {
			t.Fatal(err)
		}
		check("inserted", now, "[]")
		if _, err := st.SetHRCheckWarnings(ctx, o.ID, map[int64]string{1: `[{"code":"x"}]`}); err != nil {
			t.Fatal(err)
		}
		states, err := st.HREmployeeStates(ctx, o.ID, []int64{1, 2, 3})
		if err != nil || len(states) != 3 {
			t.Fatalf("states %v %v", states, err)
		}
		later := now.Add(time.Hour)
		for i := range rows {
			rows[i].LastName, rows[i].FirstSeenAt, rows[i].LastSyncedAt = "Changed", later, later
		}
		// Rows 1-3 through WriteHREmployees with their states, the rest
		// through the plain upsert.
		if err := st.WriteHREmployees(ctx, rows[:3], states); err != nil {
			t.Fatal(err)
		}
		if err := st.UpsertHREmployees(ctx, rows[3:]); err != nil {
			t.Fatal(err)
		}
		check1, err := st.HREmployee(ctx, o.ID, 1)
		if err != nil || check1.CheckWarnings != `[{"code":"x"}]` {
			t.Fatalf("check warnings of an existing row were overwritten: %+v %v", check1, err)
		}
		rows = rows[1:]
		check("updated", now, "[]")
	})
}
