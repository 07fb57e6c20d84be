package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestResealBatch walks one organisation's sealed values in id order and
// batches, rewrites only what the callback changes, skips empty values and
// never touches another organisation or the rows' other columns.
func TestResealBatch(t *testing.T) {
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
			if err := st.SaveHRConnection(ctx, &store.HRConnection{OrgID: o.ID, Provider: "personio", BaseURL: "http://x", ClientID: "id",
				ClientSecretEnc: "old:" + slug, Status: store.ConnConnected, ReadableAttributes: "[]", CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		if ids, err := st.OrganizationIDs(ctx); err != nil || len(ids) != 2 || ids[0] != orgs[0] || ids[1] != orgs[1] {
			t.Fatalf("organization ids: %v %v", ids, err)
		}
		var rows []store.BankDetail
		users := map[int64][]int64{}
		for _, org := range orgs {
			for i := range 5 {
				u := &store.User{OrgID: org, Email: fmt.Sprintf("u%d@%d.test", i, org), Name: "U", Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
				if err := st.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
				users[org] = append(users[org], u.ID)
				enc := fmt.Sprintf("old:%d", u.ID)
				if i == 4 {
					enc = "" // no details sealed
				}
				rows = append(rows, store.BankDetail{OrgID: org, UserID: u.ID, DataEnc: enc, IBANMasked: "DE89 •••• 3000", Source: store.BankSourcePersonio, UpdatedAt: now})
			}
		}
		for _, org := range orgs {
			var mine []store.BankDetail
			for _, r := range rows {
				if r.OrgID == org {
					mine = append(mine, r)
				}
			}
			if err := st.SaveBankDetails(ctx, mine); err != nil {
				t.Fatal(err)
			}
		}
		acme := orgs[0]
		reseal := func(v store.SealedValue) (string, bool) {
			if v.OrgID != acme {
				t.Errorf("callback got another organisation's value: %+v", v)
			}
			if v.Kind == store.SealedBankDetail && v.ID == users[acme][1] {
				return "", false // e.g. a value that cannot be opened: left alone
			}
			if rest, ok := strings.CutPrefix(v.Value, "old:"); ok {
				return "new:" + rest, true
			}
			return v.Value, false
		}

		// Bank details of acme in batches of 2: 4 non-empty rows → 2, 2, 0.
		var after int64
		var batches [][2]int
		for {
			last, seen, rewritten, err := st.ResealBatch(ctx, store.SealedBankDetail, acme, after, 2, reseal)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, [2]int{seen, rewritten})
			if seen < 2 {
				break
			}
			if last <= after {
				t.Fatalf("cursor did not advance: %d → %d", after, last)
			}
			after = last
		}
		if fmt.Sprint(batches) != "[[2 1] [2 2] [0 0]]" {
			t.Fatalf("batches (seen, rewritten): %v", batches)
		}
		got, err := st.BankDetailsOfOrg(ctx, acme)
		if err != nil {
			t.Fatal(err)
		}
		for i, uid := range users[acme] {
			want := fmt.Sprintf("new:%d", uid)
			switch i {
			case 1:
				want = fmt.Sprintf("old:%d", uid)
			case 4:
				want = ""
			}
			if got[uid].DataEnc != want {
				t.Errorf("user %d: %q, want %q", uid, got[uid].DataEnc, want)
			}
			if !got[uid].UpdatedAt.Equal(now) || got[uid].IBANMasked != "DE89 •••• 3000" {
				t.Errorf("user %d: other columns changed: %+v", uid, got[uid])
			}
		}
		other, err := st.BankDetailsOfOrg(ctx, orgs[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, uid := range users[orgs[1]][:4] {
			if !strings.HasPrefix(other[uid].DataEnc, "old:") {
				t.Errorf("another organisation's row changed: %q", other[uid].DataEnc)
			}
		}

		// HR client secret; a second pass changes nothing.
		for pass, want := range []int{1, 0} {
			_, seen, rewritten, err := st.ResealBatch(ctx, store.SealedHRClientSecret, acme, 0, 10, reseal)
			if err != nil || seen != 1 || rewritten != want {
				t.Fatalf("hr secret pass %d: seen %d rewritten %d %v", pass, seen, rewritten, err)
			}
		}
		if c, err := st.HRConnection(ctx, acme); err != nil || c.ClientSecretEnc != "new:acme" || !c.UpdatedAt.Equal(now) {
			t.Fatalf("hr connection after re-seal: %+v %v", c, err)
		}
		if c, err := st.HRConnection(ctx, orgs[1]); err != nil || c.ClientSecretEnc != "old:beta" {
			t.Fatalf("another organisation's hr connection: %+v %v", c, err)
		}

		if _, _, _, err := st.ResealBatch(ctx, "password", acme, 0, 10, reseal); err == nil {
			t.Fatal("unknown kind accepted")
		}
		if _, _, _, err := st.ResealBatch(ctx, store.SealedBankDetail, acme, 0, 0, reseal); err == nil {
			t.Fatal("batch size 0 accepted")
		}
	})
}
