package timetrack_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
	"github.com/rosterhq/roster/internal/timetrack"
)

type fixture struct {
	st             *store.Store
	tt             *timetrack.Service
	member, linked roster.Actor
	orgID          int64
}

func setup(t *testing.T, st *store.Store, push bool) fixture {
	t.Helper()
	ctx := t.Context()
	org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin"}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	pid := int64(42)
	a := &store.User{OrgID: org.ID, Email: "a@acme.test", Name: "A", Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	b := &store.User{OrgID: org.ID, Email: "b@acme.test", Name: "B", Role: store.RoleMember, Status: store.StatusActive, PersonioID: &pid, CreatedAt: now, UpdatedAt: now}
	for _, u := range []*store.User{a, b} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	set := store.DefaultSyncSettings(org.ID)
	set.TimePush, set.TimeOnlyConfirmed = push, false
	if err := st.SaveSyncSettings(ctx, &set); err != nil {
		t.Fatal(err)
	}
	return fixture{st: st, tt: timetrack.New(timetrack.Options{Store: st}), orgID: org.ID,
		member: roster.Actor{UserID: a.ID, OrgID: org.ID, Role: store.RoleMember}, linked: roster.Actor{UserID: b.ID, OrgID: org.ID, Role: store.RoleMember}}
}

func TestValidation(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	f := setup(t, st, false)
	for _, tc := range []struct {
		in     timetrack.Input
		fields []string
	}{
		{timetrack.Input{Day: "24.11.2026", Start: "9:00", End: "10:00"}, []string{"day"}},
		{timetrack.Input{Day: "2026-11-24", Start: "25:00", End: "x"}, []string{"start", "end"}},
		{timetrack.Input{Day: "2026-11-24", Start: "09:00"}, []string{"end"}},
		{timetrack.Input{Day: "2026-11-24", Start: "09:00", End: "10:00", Break: "abc"}, []string{"break"}},
		{timetrack.Input{Day: "2026-11-24", Start: "09:00", End: "10:00", Break: "60"}, []string{"break"}},
		{timetrack.Input{Day: "2026-11-24", Start: "09:00", End: "10:00", Break: "800"}, []string{"break"}},
	} {
		_, err := f.tt.Add(t.Context(), f.member, tc.in)
		fe := roster.FieldErrors(err)
		for _, k := range tc.fields {
			if fe[k] == "" {
				t.Errorf("%+v: no error for %s (%v)", tc.in, k, err)
			}
		}
	}
	// Past midnight: the end is on the next day.
	e, err := f.tt.Add(t.Context(), f.member, timetrack.Input{Day: "2026-11-24", Start: "22:00", End: "02:00", Break: "15"})
	if err != nil {
		t.Fatal(err)
	}
	if got := timetrack.Worked(e, time.Now()); got != 3*time.Hour+45*time.Minute {
		t.Fatalf("worked %v", got)
	}
}

func TestNothingQueuedWithoutPushOrLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		for _, push := range []bool{false, true} {
			f := setup(t, storetest.Open(t, st.Dialect()), push)
			for _, who := range []roster.Actor{f.member, f.linked} {
				e, err := f.tt.Add(ctx, who, timetrack.Input{Day: "2026-11-20", Start: "09:00", End: "12:00"})
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.st.OpenOutboxItem(ctx, f.orgID, store.OutboxTimeEntry, e.ID)
				queued := err == nil
				if want := push && who == f.linked; queued != want {
					t.Errorf("push %v, linked %v: queued %v", push, who == f.linked, queued)
				}
				// Deleting what never reached Personio removes it at once.
				if err := f.tt.Delete(ctx, who, e.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := f.st.TimeEntry(ctx, f.orgID, e.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("deleted unpushed entry kept: %v", err)
				}
			}
		}
	})
}
