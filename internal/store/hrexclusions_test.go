package store_test

import (
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestExcludedEmployeesLeaveTheFlows proves an exclusion hides an employee
// from invite, linking and the lifecycle queries, per organisation, and
// survives the sync rewriting the employee row.
func TestExcludedEmployeesLeaveTheFlows(t *testing.T) {
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
		emp := func(orgID, id int64, email string) store.HREmployee {
			return store.HREmployee{OrgID: orgID, PersonioID: id, FirstName: "E", LastName: "N", Email: email, Status: "active", CostCenters: "[]",
				Custom: "{}", Warnings: "[]", CheckWarnings: "[]", InScope: true, FirstSeenAt: now, LastSyncedAt: now, LastRunID: 7, SearchText: email}
		}
		rows := []store.HREmployee{emp(org, 1, "a@acme.test"), emp(org, 2, "b@acme.test"), emp(org, 3, "c@acme.test"), emp(org, 4, "d@acme.test"), emp(other, 1, "a@beta.test")}
		if err := st.UpsertHREmployees(ctx, rows); err != nil {
			t.Fatal(err)
		}
		pid3, pid4 := int64(3), int64(4)
		for _, u := range []*store.User{
			{OrgID: org, Email: "c@acme.test", Name: "C", Role: store.RoleMember, Status: store.StatusActive, PersonioID: &pid3, CreatedAt: now, UpdatedAt: now},
			{OrgID: org, Email: "d@acme.test", Name: "D", Role: store.RoleMember, Status: store.StatusActive, PersonioID: &pid4, CreatedAt: now, UpdatedAt: now},
			{OrgID: org, Email: "B@acme.test", Name: "B", Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now},
		} {
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []int64{1, 2, 4} {
			if ok, err := st.ExcludeHREmployee(ctx, &store.HRExclusion{OrgID: org, PersonioID: id, Reason: "test"}); err != nil || !ok {
				t.Fatalf("exclude %d: %v %v", id, ok, err)
			}
		}
		if ok, err := st.ExcludeHREmployee(ctx, &store.HRExclusion{OrgID: org, PersonioID: 1}); err != nil || ok {
			t.Fatalf("exclude twice: %v %v", ok, err)
		}
		// The sync rewrites the rows; the exclusions stay.
		if err := st.UpsertHREmployees(ctx, rows); err != nil {
			t.Fatal(err)
		}
		ex, err := st.ExcludedHREmployees(ctx, org, []int64{1, 2, 3, 4})
		if err != nil || !ex[1] || !ex[2] || ex[3] || !ex[4] {
			t.Fatalf("excluded %v %v", ex, err)
		}
		if ex, _ := st.ExcludedHREmployees(ctx, other, []int64{1}); ex[1] {
			t.Fatal("exclusion leaked to the other organisation")
		}

		inv, n, err := st.ListInvitableHREmployees(ctx, org, store.HREmployeeFilter{}, "2025-03-04")
		if err != nil || n != 0 || len(inv) != 0 {
			t.Fatalf("invitable %v (%d) %v", inv, n, err)
		}
		if inv, n, _ := st.ListInvitableHREmployees(ctx, other, store.HREmployeeFilter{}, "2025-03-04"); n != 1 || inv[0].PersonioID != 1 {
			t.Fatalf("other org invitable %v", inv)
		}
		byEmail, err := st.UnlinkedHREmployeesByEmail(ctx, org, []string{"a@acme.test", "b@acme.test"})
		if err != nil || len(byEmail) != 0 {
			t.Fatalf("link candidates %v %v", byEmail, err)
		}
		changed, err := st.ChangedLinkedEmployees(ctx, org, 7, 0, 10)
		if err != nil || len(changed) != 1 || changed[0].PersonioID != 3 {
			t.Fatalf("changed linked %v %v", changed, err)
		}
		yes, no := true, false
		if _, n, _ := st.ListHREmployees(ctx, org, store.HREmployeeFilter{Excluded: &yes}); n != 3 {
			t.Errorf("excluded filter: %d", n)
		}
		if _, n, _ := st.ListHREmployees(ctx, org, store.HREmployeeFilter{Excluded: &no}); n != 1 {
			t.Errorf("not excluded filter: %d", n)
		}

		if ok, err := st.IncludeHREmployee(ctx, org, 2); err != nil || !ok {
			t.Fatalf("include: %v %v", ok, err)
		}
		if ok, err := st.IncludeHREmployee(ctx, other, 4); err != nil || ok {
			t.Fatalf("include through the other organisation: %v %v", ok, err)
		}
		if byEmail, _ := st.UnlinkedHREmployeesByEmail(ctx, org, []string{"b@acme.test"}); len(byEmail) != 1 {
			t.Fatalf("included employee not a candidate: %v", byEmail)
		}
	})
}
