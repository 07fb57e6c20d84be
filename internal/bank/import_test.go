package bank_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/bank"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

const (
	keyIBAN   = "dynamic_1"
	keyBIC    = "dynamic_2"
	keyHolder = "dynamic_3"
	ibanAda   = "DE89370400440532013000"
	ibanBob   = "GB82WEST12345698765432"
)

// fakeProvider lists fixed employees; the other methods are not used.
type fakeProvider struct {
	hris.Provider
	employees []hris.Employee
	queries   []hris.EmployeeQuery
	err       error
}

func (f *fakeProvider) ListEmployees(_ context.Context, q hris.EmployeeQuery, fn func([]hris.Employee) error) error {
	f.queries = append(f.queries, q)
	if f.err != nil {
		return f.err
	}
	return fn(f.employees)
}

func emp(id int64, iban, bic, holder string) hris.Employee {
	return hris.Employee{ID: id, Custom: map[string]hris.AttributeValue{
		keyIBAN: {Label: "IBAN", Value: iban}, keyBIC: {Label: "BIC", Value: bic}, keyHolder: {Label: "Account holder", Value: holder}}}
}

type fixture struct {
	st       *store.Store
	svc      *bank.Service
	prov     *fakeProvider
	org      int64
	ada, bob int64 // users linked to employees 101 and 102
	carl     int64 // not linked
	admin    roster.Actor
	now      time.Time
}

func setup(t *testing.T, st *store.Store, importOn bool) *fixture {
	t.Helper()
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, org: org.ID, now: now, prov: &fakeProvider{}}
	mk := func(name string, pid int64) int64 {
		u := &store.User{OrgID: org.ID, Email: strings.ToLower(name) + "@acme.test", Name: name, Role: store.RoleMember, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
		if pid != 0 {
			u.PersonioID = &pid
		}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	f.ada, f.bob, f.carl = mk("Ada", 101), mk("Bob", 102), mk("Carl", 0)
	admin := mk("Olga", 0)
	if err := st.UpdateUserFields(ctx, org.ID, admin, map[string]any{"role": store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	f.admin = roster.Actor{UserID: admin, OrgID: org.ID, Name: "Olga", Role: store.RoleAdmin}
	set := store.DefaultSyncSettings(org.ID)
	set.BankImport, set.IBANAttribute, set.BICAttribute, set.HolderAttribute = importOn, keyIBAN, keyBIC, keyHolder
	if err := st.SaveSyncSettings(ctx, &set); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f.svc = bank.New(bank.Options{Store: st, Box: box, Now: func() time.Time { return f.now },
		Providers: func(context.Context, int64, func(hris.CallInfo)) (hris.Provider, error) { return f.prov, nil }})
	return f
}

func (f *fixture) run(t *testing.T, mode string) (*store.SyncRun, bank.ImportResult) {
	t.Helper()
	r := &store.SyncRun{OrgID: f.org, Area: store.AreaEmployees, Mode: mode, Trigger: store.TriggerManual, Status: store.RunRunning,
		StartedAt: f.now, HeartbeatAt: f.now}
	if err := f.st.DB().Create(r).Error; err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.ImportRun(t.Context(), r)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return r, res
}

func (f *fixture) warnings(t *testing.T, runID int64) []store.SyncRunWarning {
	t.Helper()
	ws, _, err := f.st.SyncRunWarnings(t.Context(), f.org, runID, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// rawDatabase returns every byte the database holds that could carry a
// value: the SQLite file (and its WAL), or the text of every row of the
// tables the import and the sync write on PostgreSQL.
func rawDatabase(t *testing.T, st *store.Store) string {
	t.Helper()
	db := st.DB()
	if st.Dialect() == store.SQLite {
		if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Seq        int
			Name, File string
		}
		if err := db.Raw("PRAGMA database_list").Scan(&rows).Error; err != nil || len(rows) == 0 || rows[0].File == "" {
			t.Fatalf("database file: %v %+v", err, rows)
		}
		var all []byte
		for _, p := range []string{rows[0].File, rows[0].File + "-wal"} {
			b, err := os.ReadFile(p)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if len(all) < 4096 {
			t.Fatalf("database file is only %d bytes", len(all))
		}
		return string(all)
	}
	var sb strings.Builder
	for _, table := range []string{"bank_details", "hr_employees", "sync_run_warnings", "api_calls", "audit_events", "users"} {
		var rows []string
		if err := db.Raw("SELECT t::text FROM " + table + " t").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		sb.WriteString(strings.Join(rows, "\n"))
	}
	return sb.String()
}

func TestImportStoresEncryptedMaskedAndIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, true)
		ctx := t.Context()
		f.prov.employees = []hris.Employee{
			emp(101, "de89 3704 0044 0532 0130 00", "cobadeffxxx", "Ada  Lovelace"),
			emp(102, ibanBob, "NWBKGB2L", "Bob Builder"),
			emp(103, "DE89370400440532013000", "COBADEFFXXX", "Not Linked"), // no Roster user
		}
		run, res := f.run(t, store.ModeFull)
		if res.Written != 2 || res.Invalid != 0 {
			t.Fatalf("first import: %+v", res)
		}
		if q := f.prov.queries[0]; q.UpdatedSince != nil || strings.Join(q.Attributes, ",") != "dynamic_1,dynamic_2,dynamic_3" {
			t.Errorf("full import query %+v: want every employee, only the bank attributes", q)
		}
		row, err := st.BankDetail(ctx, f.org, f.ada)
		if err != nil {
			t.Fatal(err)
		}
		if row.IBANMasked != "DE89 •••• •••• 3000" || !row.IBANValid || !row.BICValid || row.Warning != "" || row.RunID == nil || *row.RunID != run.ID {
			t.Errorf("stored row %+v", row)
		}
		if strings.Contains(row.DataEnc, "DE89") || strings.Contains(row.DataEnc, "COBA") || strings.Contains(row.DataEnc, "Lovelace") {
			t.Error("the sealed column holds clear text")
		}

		// The raw values are nowhere in the database.
		raw := rawDatabase(t, st)
		for _, secret := range []string{ibanAda, "DE89 3704", "370400440532013000", ibanBob, "COBADEFFXXX", "NWBKGB2L", "Ada Lovelace", "Bob Builder"} {
			if strings.Contains(raw, secret) {
				t.Errorf("%q found in the %s database", secret, st.Dialect())
			}
		}
		if !strings.Contains(raw, "3000") {
			t.Error("the masked IBAN was not found at all: the check reads the wrong bytes")
		}

		// Shown to the user and to admins: masked IBAN, BIC and holder.
		d, err := f.svc.ForUser(ctx, roster.Actor{UserID: f.ada, OrgID: f.org, Role: store.RoleMember}, f.ada)
		if err != nil || d == nil {
			t.Fatalf("own details: %v %v", d, err)
		}
		if d.IBANMasked != "DE89 •••• •••• 3000" || d.BIC != "COBADEFFXXX" || d.Holder != "Ada Lovelace" || d.Source != "personio" {
			t.Errorf("own details %+v", d)
		}
		if d, _ := f.svc.ForUser(ctx, f.admin, f.bob); d == nil || d.IBANMasked != "GB82 •••• •••• 5432" {
			t.Errorf("admin sees %+v", d)
		}
		// Not to another member, nor across organisations.
		if d, err := f.svc.ForUser(ctx, roster.Actor{UserID: f.carl, OrgID: f.org, Role: store.RoleMember}, f.ada); d != nil || err != nil {
			t.Errorf("another member sees %+v (%v)", d, err)
		}
		if d, err := f.svc.ForUser(ctx, roster.Actor{UserID: 999, OrgID: f.org + 1000, Role: store.RoleAdmin}, f.ada); d != nil || err != nil {
			t.Errorf("another organisation's admin sees %+v (%v)", d, err)
		}

		// The same values again: nothing written.
		before, _ := st.BankDetail(ctx, f.org, f.ada)
		f.now = f.now.Add(time.Hour)
		_, res = f.run(t, store.ModeFull)
		if res.Written != 0 || res.Unchanged != 2 || res.Deleted != 0 {
			t.Errorf("second import: %+v", res)
		}
		after, _ := st.BankDetail(ctx, f.org, f.ada)
		if after.DataEnc != before.DataEnc || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Error("an unchanged import rewrote the row")
		}

		// A changed IBAN is written again.
		f.prov.employees[1] = emp(102, "GB33BUKB20201555555555", "NWBKGB2L", "Bob Builder")
		_, res = f.run(t, store.ModePartial)
		if res.Written != 1 || res.Unchanged != 1 {
			t.Errorf("import after a change: %+v", res)
		}
		if q := f.prov.queries[len(f.prov.queries)-1]; q.UpdatedSince == nil {
			t.Error("a partial run must read only changed employees")
		}
		if d, _ := f.svc.ForUser(ctx, f.admin, f.bob); d.IBANMasked != "GB33 •••• •••• 5555" {
			t.Errorf("after change %+v", d)
		}

		// Cleared in Personio → removed; unlinked → removed in a full run.
		f.prov.employees[1] = emp(102, "", "", "")
		if _, res = f.run(t, store.ModeFull); res.Deleted != 1 {
			t.Errorf("cleared: %+v", res)
		}
		if _, err := st.BankDetail(ctx, f.org, f.bob); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cleared details kept: %v", err)
		}
	})
}

func TestImportInvalidValuesWarnAndKeepTheRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, true)
		ctx := t.Context()
		f.prov.employees = []hris.Employee{
			emp(101, "DE89370400440532013001", "COBADEFFXXX", "Ada Lovelace"), // bad checksum
			emp(102, ibanBob, "NOT A BIC!", "Bob Builder"),                    // bad BIC
		}
		run, res := f.run(t, store.ModeFull)
		if res.Written != 2 || res.Invalid != 2 {
			t.Fatalf("import: %+v", res)
		}
		ada, _ := st.BankDetail(ctx, f.org, f.ada)
		if ada.IBANValid || !ada.BICValid || !strings.Contains(ada.Warning, "check digits") || ada.IBANMasked != "DE89 •••• •••• 3001" {
			t.Errorf("ada: %+v", ada)
		}
		bob, _ := st.BankDetail(ctx, f.org, f.bob)
		if !bob.IBANValid || bob.BICValid || !strings.Contains(bob.Warning, "BIC") {
			t.Errorf("bob: %+v", bob)
		}
		d, _ := f.svc.ForUser(ctx, f.admin, f.bob)
		if d.Holder != "Bob Builder" || d.IBANMasked != "GB82 •••• •••• 5432" || d.Warning == "" {
			t.Errorf("other fields of an invalid record: %+v", d)
		}
		ws := f.warnings(t, run.ID)
		if len(ws) != 2 {
			t.Fatalf("run warnings: %+v", ws)
		}
		for _, w := range ws {
			if w.Code != bank.WarnInvalid || strings.Contains(w.Message, "3001") || strings.Contains(w.Message, "NOT A BIC") {
				t.Errorf("run warning %+v (must not carry the value)", w)
			}
		}

		// A fetch failure is a run warning, not a failed sync.
		f.prov.err = errors.New("connection reset")
		run, _ = f.run(t, store.ModeFull)
		if ws := f.warnings(t, run.ID); len(ws) != 1 || ws[0].Code != bank.WarnFailed {
			t.Errorf("failure warnings %+v", ws)
		}
		if _, err := st.BankDetail(ctx, f.org, f.ada); err != nil {
			t.Error("a failed fetch removed details")
		}

		// Attributes missing from the records (not whitelisted): nothing changes, one warning.
		f.prov.err = nil
		f.prov.employees = []hris.Employee{{ID: 101}, {ID: 102}}
		run, res = f.run(t, store.ModeFull)
		if res.Deleted != 0 || res.Written != 0 {
			t.Errorf("unreadable: %+v", res)
		}
		if ws := f.warnings(t, run.ID); len(ws) != 1 || ws[0].Code != bank.WarnNotReadable {
			t.Errorf("unreadable warnings %+v", ws)
		}
	})
}

func TestFirstImportReadsEveryoneEvenInAPartialRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, true)
		f.prov.employees = []hris.Employee{emp(101, ibanAda, "COBADEFFXXX", "Ada Lovelace")}
		_, res := f.run(t, store.ModePartial)
		if res.Written != 1 || f.prov.queries[0].UpdatedSince != nil {
			t.Errorf("first partial import: %+v, query %+v", res, f.prov.queries[0])
		}
		f.run(t, store.ModePartial)
		if f.prov.queries[1].UpdatedSince == nil || !f.prov.queries[1].UpdatedSince.Equal(f.now.Add(-4*time.Hour)) {
			t.Errorf("later partial import must read the run's window: %+v", f.prov.queries[1])
		}
	})
}

func TestImportOffReadsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, false)
		f.prov.employees = []hris.Employee{emp(101, ibanAda, "COBADEFFXXX", "Ada Lovelace")}
		_, res := f.run(t, store.ModeFull)
		if len(f.prov.queries) != 0 || res != (bank.ImportResult{}) {
			t.Errorf("import off: %d queries, %+v", len(f.prov.queries), res)
		}
	})
}

func TestExportCSVIsAuditedAdminOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st, true)
		ctx := t.Context()
		f.prov.employees = []hris.Employee{
			emp(101, ibanAda, "COBADEFFXXX", "=HYPERLINK(\"x\")"),
			emp(102, ibanBob, "NWBKGB2L", "Bob Builder"),
		}
		f.run(t, store.ModeFull)

		if _, err := f.svc.PrepareExport(ctx, roster.Actor{UserID: f.ada, OrgID: f.org, Role: store.RoleMember}, nil); !errors.Is(err, roster.ErrForbidden) {
			t.Errorf("member export: %v", err)
		}
		if _, err := f.svc.PrepareExport(ctx, f.admin, []int64{f.carl}); roster.FieldErrors(err)["user_ids"] == "" {
			t.Errorf("selection without details: %v", err)
		}
		ex, err := f.svc.PrepareExport(ctx, f.admin, []int64{f.ada})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := ex.Write(&buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || strings.Join(recs[0], ",") != "user,email,account_holder,iban,bic,source,updated_at,warning" {
			t.Fatalf("csv %q", recs)
		}
		if r := recs[1]; r[0] != "Ada" || r[1] != "ada@acme.test" || r[2] != `'=HYPERLINK("x")` || r[3] != ibanAda || r[4] != "COBADEFFXXX" || r[5] != "Personio" || r[6] != "2026-03-02T09:00:00Z" {
			t.Errorf("row %q", r)
		}
		all, err := f.svc.PrepareExport(ctx, f.admin, nil)
		if err != nil || all.Len() != 2 {
			t.Fatalf("export all: %v", err)
		}
		es, _, err := st.ListAudit(ctx, f.org, store.AuditFilter{Action: bank.ActionExported})
		if err != nil || len(es) != 2 {
			t.Fatalf("audit: %v %d", err, len(es))
		}
		if es[1].Details != "1 user(s) exported (selected users)" || es[0].Details != "2 user(s) exported (all users with details)" || es[0].ActorName != "Olga" {
			t.Errorf("audit events %+v", es)
		}
		for _, e := range es {
			if strings.Contains(e.Details+e.TargetLabel, "DE89") {
				t.Error("the audit holds a value")
			}
		}
	})
}
