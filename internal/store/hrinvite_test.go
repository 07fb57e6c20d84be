package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestInvitablePagesCountEveryMatch proves the pages of invitable
// employees come in name order with the number of all matches, on every
// page, past the last one and without a limit, and leave out the linked,
// the excluded and other teams.
func TestInvitablePagesCountEveryMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
		o := &store.Organization{Slug: "acme", Name: "acme", TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
		if err := st.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		var rows []store.HREmployee
		// Ids 1..9 in team Sales, named so that name order is not id order;
		// 10 is in another team.
		last := []string{"", "Ibsen", "Hale", "Grant", "Fox", "Eden", "Dale", "Cole", "Bell", "Abel", "Zorn"}
		for id := int64(1); id <= 10; id++ {
			team := "Sales"
			if id == 10 {
				team = "Ops"
			}
			rows = append(rows, store.HREmployee{OrgID: o.ID, PersonioID: id, FirstName: "E", LastName: last[id], Email: fmt.Sprintf("e%d@acme.test", id),
				Status: "active", TeamName: team, CostCenters: "[]", CostCenterNames: "|CC 1|", Custom: "{}", Warnings: "[]", CheckWarnings: "[]",
				InScope: true, FirstSeenAt: now, LastSyncedAt: now})
		}
		if err := st.UpsertHREmployees(ctx, rows); err != nil {
			t.Fatal(err)
		}
		pid := int64(9) // Abel is linked
		if err := st.CreateUser(ctx, &store.User{OrgID: o.ID, Email: "abel@acme.test", Name: "Abel", Role: store.RoleMember, Status: store.StatusActive,
			PersonioID: &pid, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ExcludeHREmployee(ctx, &store.HRExclusion{OrgID: o.ID, PersonioID: 5, Reason: "test"}); err != nil { // Eden
			t.Fatal(err)
		}
		// Invitable in Sales, by name: Bell 8, Cole 7, Dale 6, Fox 4, Grant 3, Hale 2, Ibsen 1.
		want := []int64{8, 7, 6, 4, 3, 2, 1}
		f := store.HREmployeeFilter{Team: "Sales", CostCenter: "CC 1"}
		ids := func(es []store.HREmployee) []int64 {
			out := make([]int64, len(es))
			for i, e := range es {
				out[i] = e.PersonioID
			}
			return out
		}
		for _, c := range []struct {
			limit, offset int
			want          []int64
		}{{3, 0, want[:3]}, {3, 3, want[3:6]}, {3, 6, want[6:]}, {3, 9, nil}, {0, 0, want}} {
			f.Limit, f.Offset = c.limit, c.offset
			es, total, err := st.ListInvitableHREmployees(ctx, o.ID, f, "2025-03-04")
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(es); !slices.Equal(got, c.want) || total != int64(len(want)) {
				t.Fatalf("limit %d offset %d: %v of %d, want %v of %d", c.limit, c.offset, got, total, c.want, len(want))
			}
			if len(es) > 0 && (es[0].LastName == "" || es[0].Email == "") {
				t.Fatalf("page rows without their fields: %+v", es[0])
			}
		}
		f = store.HREmployeeFilter{Team: "Nobody", Limit: 3}
		if es, total, err := st.ListInvitableHREmployees(ctx, o.ID, f, "2025-03-04"); err != nil || len(es) != 0 || total != 0 {
			t.Fatalf("no match: %v of %d, %v", ids(es), total, err)
		}
	})
}
