package secrets

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestRotate re-seals HR client secrets and bank details of every
// organisation under the new key, idempotently, and names (without their
// content) the values neither key opens.
func TestRotate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
		oldKey, newKey := bytes.Repeat([]byte{0x11}, 32), bytes.Repeat([]byte{0x22}, 32)
		oldBox, _ := New(oldKey)
		newOnly, _ := New(newKey)
		both, _ := New(newKey, oldKey)
		seal := func(b *Box, pt, aad string) string {
			s, err := b.Seal(pt, aad)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		secretOf := func(org int64) string { return fmt.Sprintf("papi-secret-of-org-%d", org) }
		ibanOf := func(uid int64) string { return fmt.Sprintf(`{"iban":"DE8937040044053201%04d"}`, uid) }

		var orgs []int64
		for i, slug := range []string{"acme", "beta"} {
			o := &store.Organization{Slug: slug, Name: slug, TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
			if err := st.CreateOrganization(ctx, o); err != nil {
				t.Fatal(err)
			}
			orgs = append(orgs, o.ID)
			enc := seal(oldBox, secretOf(o.ID), HRClientSecretAAD(o.ID))
			if i == 0 {
				enc = legacySeal(t, oldKey, secretOf(o.ID), HRClientSecretAAD(o.ID)) // stored before key ids existed
			}
			if err := st.SaveHRConnection(ctx, &store.HRConnection{OrgID: o.ID, Provider: "personio", BaseURL: "http://x", ClientID: "id",
				ClientSecretEnc: enc, Status: store.ConnConnected, ReadableAttributes: "[]", CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		acme := orgs[0]
		var users []store.BankDetail // acme's bank details, one per user
		for i := range 6 {
			u := &store.User{OrgID: acme, Email: fmt.Sprintf("u%d@acme.test", i), Name: "U", Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			b := oldBox
			if i == 5 {
				b = both // already sealed under the new key (e.g. imported during the rolling deploy)
			}
			users = append(users, store.BankDetail{OrgID: acme, UserID: u.ID, DataEnc: seal(b, ibanOf(u.ID), BankDetailAAD(acme, u.ID)), Source: "personio", UpdatedAt: now})
		}
		if err := st.SaveBankDetails(ctx, users); err != nil {
			t.Fatal(err)
		}

		snapshot := func() map[string]string {
			out := map[string]string{}
			for _, org := range orgs {
				c, err := st.HRConnection(ctx, org)
				if err != nil {
					t.Fatal(err)
				}
				out[fmt.Sprintf("hr/%d", org)] = c.ClientSecretEnc
			}
			bd, err := st.BankDetailsOfOrg(ctx, acme)
			if err != nil {
				t.Fatal(err)
			}
			for uid, r := range bd {
				out[fmt.Sprintf("bank/%d", uid)] = r.DataEnc
			}
			return out
		}
		before := snapshot()

		// The app with both keys reads old, legacy and new values alike.
		for _, org := range orgs {
			if pt, err := both.Open(before[fmt.Sprintf("hr/%d", org)], HRClientSecretAAD(org)); err != nil || pt != secretOf(org) {
				t.Fatalf("both keys, hr secret of org %d: %v", org, err)
			}
		}
		for _, r := range users {
			if pt, err := both.Open(r.DataEnc, BankDetailAAD(acme, r.UserID)); err != nil || pt != ibanOf(r.UserID) {
				t.Fatalf("both keys, bank detail of user %d: %v", r.UserID, err)
			}
		}

		rep, err := Rotate(ctx, st, both, 2, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		if rep.KeyID != both.CurrentKeyID() || len(rep.Failures) != 0 ||
			fmt.Sprint(rep.Counts) != fmt.Sprintf("[{%s 2 0 0} {%s 5 1 0}]", store.SealedHRClientSecret, store.SealedBankDetail) {
			t.Fatalf("report: %+v", rep)
		}
		after := snapshot()
		newID := both.CurrentKeyID()
		for k, v := range after {
			if SealedKeyID(v) != newID {
				t.Errorf("%s is not sealed under the new key", k)
			}
			alreadyNew := k == fmt.Sprintf("bank/%d", users[5].UserID)
			if (v == before[k]) != alreadyNew {
				t.Errorf("%s: stored bytes changed=%v, want %v", k, v != before[k], !alreadyNew)
			}
		}
		for _, org := range orgs {
			v := after[fmt.Sprintf("hr/%d", org)]
			if pt, err := newOnly.Open(v, HRClientSecretAAD(org)); err != nil || pt != secretOf(org) {
				t.Fatalf("new key alone, hr secret of org %d: %v", org, err)
			}
			if _, err := oldBox.Open(v, HRClientSecretAAD(org)); err == nil {
				t.Fatalf("old key alone still opens the hr secret of org %d", org)
			}
		}
		for _, r := range users {
			v := after[fmt.Sprintf("bank/%d", r.UserID)]
			if pt, err := newOnly.Open(v, BankDetailAAD(acme, r.UserID)); err != nil || pt != ibanOf(r.UserID) {
				t.Fatalf("new key alone, bank detail of user %d: %v", r.UserID, err)
			}
			if _, err := oldBox.Open(v, BankDetailAAD(acme, r.UserID)); err == nil {
				t.Fatalf("old key alone still opens the bank detail of user %d", r.UserID)
			}
		}
		for _, org := range orgs {
			evs, _, err := st.ListAudit(ctx, org, store.AuditFilter{Action: "secrets.rotated"})
			if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Details, newID) {
				t.Fatalf("audit of org %d: %+v %v", org, evs, err)
			}
		}

		// Idempotent: a second run (even with the new key alone) changes nothing.
		for _, b := range []*Box{both, newOnly} {
			rep, err = Rotate(ctx, st, b, 2, nil)
			if err != nil || fmt.Sprint(rep.Counts) != fmt.Sprintf("[{%s 0 2 0} {%s 0 6 0}]", store.SealedHRClientSecret, store.SealedBankDetail) {
				t.Fatalf("second rotate: %+v %v", rep, err)
			}
			if fmt.Sprint(snapshot()) != fmt.Sprint(after) {
				t.Fatal("second rotate changed stored values")
			}
		}
		if evs, _, _ := st.ListAudit(ctx, acme, store.AuditFilter{Action: "secrets.rotated"}); len(evs) != 1 {
			t.Fatalf("a rotation that changed nothing was audited: %d events", len(evs))
		}

		// Values neither key opens are named, left unchanged, and the rest is still re-sealed.
		foreign, _ := New(bytes.Repeat([]byte{0x33}, 32))
		bad := map[int64]string{
			users[1].UserID: "garbage-IBAN-DE89370400440532013000",
			users[2].UserID: seal(foreign, ibanOf(users[2].UserID), BankDetailAAD(acme, users[2].UserID)),
			users[3].UserID: seal(oldBox, ibanOf(users[3].UserID), BankDetailAAD(acme, users[3].UserID)), // sealed under the old key: fine
		}
		for uid, v := range bad {
			if err := st.DB().Table("bank_details").Where("org_id = ? AND user_id = ?", acme, uid).Update("data_enc", v).Error; err != nil {
				t.Fatal(err)
			}
		}
		rep, err = Rotate(ctx, st, both, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Failures) != 2 || fmt.Sprint(rep.Counts) != fmt.Sprintf("[{%s 0 2 0} {%s 1 3 2}]", store.SealedHRClientSecret, store.SealedBankDetail) {
			t.Fatalf("report with bad values: %+v", rep)
		}
		rowNames := map[string]string{}
		for _, f := range rep.Failures {
			rowNames[f.Row()] = f.Reason
		}
		garbageRow := fmt.Sprintf("bank detail of org %d, user %d", acme, users[1].UserID)
		foreignRow := fmt.Sprintf("bank detail of org %d, user %d", acme, users[2].UserID)
		if !strings.Contains(rowNames[garbageRow], "neither ROSTER_SECRET_KEY nor ROSTER_SECRET_KEY_PREVIOUS") ||
			!strings.Contains(rowNames[foreignRow], "sealed under key "+foreign.CurrentKeyID()) {
			t.Fatalf("failures: %+v", rep.Failures)
		}
		for _, f := range rep.Failures {
			if strings.Contains(f.Reason, "DE89") || strings.Contains(f.Reason, bad[f.ID]) {
				t.Fatalf("failure reason shows the value: %q", f.Reason)
			}
		}
		now2 := snapshot()
		for uid, v := range bad {
			k := fmt.Sprintf("bank/%d", uid)
			if uid == users[3].UserID {
				if SealedKeyID(now2[k]) != newID {
					t.Error("the good value next to bad ones was not re-sealed")
				}
			} else if now2[k] != v {
				t.Errorf("a value that cannot be opened was changed: %s", k)
			}
		}
	})
}
