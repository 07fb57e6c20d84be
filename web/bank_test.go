package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/bank"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// wrongLengthIBAN is a German IBAN one digit short whose check digits are
// right: the sandbox accepts it, Roster's country-length check does not.
func wrongLengthIBAN() string {
	bban := "37040044053201300" // 17 digits; DE needs 18
	r := 0
	for _, c := range bban + "131400" { // D=13, E=14, check digits 00
		r = (r*10 + int(c-'0')) % 97
	}
	return fmt.Sprintf("DE%02d%s", 98-r, bban)
}

// enableBankImport turns the reimbursement import on with the sandbox's keys.
func enableBankImport(t *testing.T, st *store.Store, orgID int64) {
	t.Helper()
	set, err := st.SyncSettings(t.Context(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	set.BankImport, set.IBANAttribute, set.BICAttribute, set.HolderAttribute = true, sandbox.IBANAttribute, sandbox.BICAttribute, sandbox.AccountHolderAttribute
	if err := st.SaveSyncSettings(t.Context(), set); err != nil {
		t.Fatal(err)
	}
}

func TestBankDetailsImportShowAndExport(t *testing.T) {
	sb, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 40, Seed: 5})
	var withIBAN []sandbox.Employee
	for _, e := range sb.Employees() {
		if e.IBAN != "" && e.Email != "" && e.Status == "active" {
			withIBAN = append(withIBAN, e)
		}
	}
	if len(withIBAN) < 2 {
		t.Fatalf("sandbox: %d employees with an IBAN", len(withIBAN))
	}
	e1, e2 := withIBAN[0], withIBAN[1]
	bad := wrongLengthIBAN()
	if _, err := sb.Update(e2.ID, sandbox.EmployeeInput{IBAN: &bad}); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newApp(t, st, appOpts{sandboxURL: sbURL})
		owner := a.setupOrg("Acme", "olga@acme.test")
		orgID := a.orgID(t)
		connectSandbox(t, owner, sbURL)
		enableBankImport(t, st, orgID)

		// Ada (a member who logs in) is linked to e1, Bob to e2.
		link := a.invite(owner, "ada@acme.test", "Ada", "member")
		member := a.acceptAs(link, "Ada")
		a.invite(owner, "bob@acme.test", "Bob", "member")
		ada, bob := a.userID("ada@acme.test"), a.userID("bob@acme.test")
		for uid, pid := range map[int64]int64{ada: int64(e1.ID), bob: int64(e2.ID)} {
			if err := st.UpdateUserFields(t.Context(), orgID, uid, map[string]any{"personio_id": pid}); err != nil {
				t.Fatal(err)
			}
		}
		syncEmployees(t, owner)

		norm1 := bank.NormalizeIBAN(e1.IBAN)
		noRaw := func(r *resp, where string) {
			t.Helper()
			for _, v := range []string{norm1, e1.IBAN, bad, norm1[4:18]} {
				if strings.Contains(r.body, v) {
					t.Errorf("%s shows a raw IBAN", where)
				}
			}
		}

		// The member sees their own details, masked, from Personio.
		me := member.get("/people/" + itoa(ada))
		expectStatus(t, me, http.StatusOK)
		card := me.testid("bank-details")
		if card.Length() != 1 {
			t.Fatalf("no bank card on the own profile: %.400s", me.body)
		}
		if got := me.testid("bank-iban").Text(); got != bank.MaskIBAN(e1.IBAN) {
			t.Errorf("masked IBAN %q, want %q", got, bank.MaskIBAN(e1.IBAN))
		}
		if me.testid("bank-bic").Text() != bank.NormalizeBIC(e1.BIC) || me.testid("bank-holder").Text() != e1.AccountHolder {
			t.Errorf("BIC %q holder %q", me.testid("bank-bic").Text(), me.testid("bank-holder").Text())
		}
		if !strings.Contains(me.testid("bank-source").Text(), "from Personio") || me.testid("bank-warning").Length() != 0 {
			t.Errorf("source %q, warning %q", me.testid("bank-source").Text(), me.testid("bank-warning").Text())
		}
		noRaw(me, "own profile")
		// …and never someone else's.
		other := member.get("/people/" + itoa(bob))
		if other.testid("bank-details").Length() != 0 {
			t.Error("a member sees another member's bank details")
		}

		// The admin sees the invalid one with its warning on the user page.
		page := owner.get("/users/" + itoa(bob))
		expectStatus(t, page, http.StatusOK)
		if w := page.testid("bank-warning").Text(); !strings.Contains(w, "21 characters") {
			t.Errorf("warning %q", w)
		}
		if page.testid("bank-iban").Text() != bank.MaskIBAN(bad) {
			t.Errorf("invalid IBAN shown as %q", page.testid("bank-iban").Text())
		}
		noRaw(page, "admin user page")
		runs, err := st.ListSyncRuns(t.Context(), orgID, 1)
		if err != nil || len(runs) != 1 {
			t.Fatal(err)
		}
		detail := owner.get("/settings/hr/runs/" + itoa(runs[0].ID))
		if !strings.Contains(detail.body, bank.WarnInvalid) || !strings.Contains(detail.body, "21 characters") {
			t.Error("the run does not list the invalid IBAN")
		}
		noRaw(detail, "run page")

		// Export: the selection page, then a CSV of the selected user.
		sel := owner.get("/users/bank-export")
		expectStatus(t, sel, http.StatusOK)
		if n := sel.testid("bank-export-row").Length(); n != 2 {
			t.Fatalf("%d rows on the export page", n)
		}
		noRaw(sel, "export page")
		none := owner.post("/users/bank-export", "/users/bank-export", url.Values{"scope": {"selected"}})
		expectStatus(t, none, http.StatusUnprocessableEntity)
		if !strings.Contains(none.testid("form-error").Text(), "Select at least one user") {
			t.Errorf("empty selection: %q", none.testid("form-error").Text())
		}
		csvResp := owner.post("/users/bank-export", "/users/bank-export", url.Values{"scope": {"selected"}, "user_ids": {itoa(ada)}})
		expectStatus(t, csvResp, http.StatusOK)
		if ct := csvResp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(csvResp.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("content type %q", ct)
		}
		recs, err := csv.NewReader(strings.NewReader(csvResp.body)).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("csv %v %q", err, csvResp.body)
		}
		adaUser, err := st.User(t.Context(), orgID, ada)
		if err != nil {
			t.Fatal(err)
		}
		if r := recs[1]; r[0] != adaUser.Name || r[1] != "ada@acme.test" || r[2] != e1.AccountHolder || r[3] != norm1 || r[4] != bank.NormalizeBIC(e1.BIC) || r[5] != "Personio" {
			t.Errorf("csv row %q", r)
		}
		all := owner.post("/users/bank-export", "/users/bank-export", url.Values{"scope": {"all"}})
		if recs, _ := csv.NewReader(strings.NewReader(all.body)).ReadAll(); len(recs) != 3 {
			t.Errorf("export all: %d lines", len(recs))
		}
		audit := owner.get("/audit?action=" + bank.ActionExported)
		if !strings.Contains(audit.body, "1 user(s) exported (selected users)") || !strings.Contains(audit.body, "2 user(s) exported") {
			t.Error("exports not in the audit log")
		}
		noRaw(audit, "audit log")

		// A member cannot export, nor open the selection page.
		tok := member.csrf("/")
		r := member.do(http.MethodPost, "/users/bank-export", url.Values{"_csrf": {tok}, "scope": {"all"}}, nil)
		if r.status != http.StatusForbidden || strings.Contains(r.body, norm1) {
			t.Errorf("member export: %d", r.status)
		}
		if r := member.get("/users/bank-export"); r.status != http.StatusForbidden {
			t.Errorf("member selection page: %d", r.status)
		}

		// A second sync with the same data writes nothing.
		before, err := st.BankDetail(t.Context(), orgID, ada)
		if err != nil {
			t.Fatal(err)
		}
		syncEmployees(t, owner)
		after, _ := st.BankDetail(t.Context(), orgID, ada)
		if after.DataEnc != before.DataEnc || *after.RunID != *before.RunID {
			t.Error("an unchanged second sync rewrote the bank details")
		}
	})
}
