package bank

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/store"
)

// Run warning codes of the import.
const (
	// WarnInvalid: an IBAN or BIC in the HR system is not valid, or a part
	// of the details is missing.
	WarnInvalid = "bank_details_invalid"
	// WarnNotReadable: the configured attributes are not readable with the
	// credential (the HR system omits them).
	WarnNotReadable = "bank_details_not_readable"
	// WarnFailed: the details could not be fetched; the employee sync
	// itself succeeded.
	WarnFailed = "bank_details_failed"
)

// keys are the configured attribute keys.
type keys struct{ iban, bic, holder string }

func (k keys) list() []string {
	var out []string
	for _, s := range []string{k.iban, k.bic, k.holder} {
		if s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// fetched is what the HR system holds for one employee.
type fetched struct {
	values   Values
	readable bool // at least one configured attribute was in the record
}

// read takes the configured attributes of e, normalised.
func (k keys) read(e *hris.Employee) fetched {
	var f fetched
	get := func(key string) string {
		if key == "" {
			return ""
		}
		v, ok := e.Custom[key]
		if !ok {
			return ""
		}
		f.readable = true
		return v.Value
	}
	f.values = Values{IBAN: NormalizeIBAN(get(k.iban)), BIC: NormalizeBIC(get(k.bic)), Holder: strings.Join(strings.Fields(get(k.holder)), " ")}
	return f
}

// check validates v; the result says what is wrong, without the values.
func check(v Values) (ibanOK, bicOK bool, warning string) {
	var problems []string
	switch {
	case v.IBAN == "":
		problems = append(problems, "No IBAN in Personio.")
	default:
		if err := ValidateIBAN(v.IBAN); err != nil {
			problems = append(problems, upperFirst(err.Error())+".")
		} else {
			ibanOK = true
		}
	}
	if v.BIC != "" {
		if err := ValidateBIC(v.BIC); err != nil {
			problems = append(problems, upperFirst(err.Error())+".")
		} else {
			bicOK = true
		}
	}
	if v.Holder == "" {
		problems = append(problems, "No account holder in Personio.")
	}
	return ibanOK, bicOK, strings.Join(problems, " ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ImportResult counts what an import did.
type ImportResult struct {
	Fetched, Written, Unchanged, Deleted, Invalid int
}

// Import is the lifecycle step run after every employee sync (register it
// in lifecycle.Options.Also). With the reimbursement import on, it reads
// the configured IBAN, BIC and holder attributes of the employees the run
// covered (every employee in a full run, the changed ones in a partial
// run; everyone while nothing was imported yet), validates them, and stores those of linked users sealed, with the
// masked IBAN, writing only what changed. Invalid values become a warning
// on the user's details and on the run; a failed fetch becomes a run
// warning and never fails the employee sync. Off: nothing is read.
func (s *Service) Import(ctx context.Context, run *store.SyncRun) error {
	_, err := s.ImportRun(ctx, run)
	return err
}

// ImportRun is Import with its counts.
func (s *Service) ImportRun(ctx context.Context, run *store.SyncRun) (ImportResult, error) {
	var res ImportResult
	orgID := run.OrgID
	st, err := s.st.SyncSettings(ctx, orgID)
	if err != nil {
		return res, fmt.Errorf("bank: load settings of org %d: %w", orgID, err)
	}
	k := keys{strings.TrimSpace(st.IBANAttribute), strings.TrimSpace(st.BICAttribute), strings.TrimSpace(st.HolderAttribute)}
	if !st.BankImport || k.iban == "" {
		return res, nil
	}
	linked, err := s.st.LinkedPersonioUsers(ctx, orgID)
	if err != nil {
		return res, fmt.Errorf("bank: linked users of org %d: %w", orgID, err)
	}
	existing, err := s.st.BankDetailsOfOrg(ctx, orgID)
	if err != nil {
		return res, fmt.Errorf("bank: load details of org %d: %w", orgID, err)
	}
	if len(linked) == 0 && len(existing) == 0 {
		return res, nil
	}

	var mu sync.Mutex
	var calls []store.APICall
	runID := run.ID
	onCall := func(ci hris.CallInfo) {
		c := hrsync.APICallOf(orgID, &runID, store.AreaEmployees, ci)
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
	}
	full := run.Mode == store.ModeFull
	now := s.now().UTC()
	var warns []store.SyncRunWarning
	fail := func(cause error) (ImportResult, error) {
		if ctx.Err() != nil {
			return res, fmt.Errorf("bank: import of org %d: %w", orgID, cause)
		}
		msg := "Reimbursement details could not be imported: "
		var he *hris.Error
		if errors.As(cause, &he) {
			msg += he.UserMessage()
		} else {
			msg += cause.Error()
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "bank details import failed", slog.Int64("org_id", orgID), slog.Int64("run_id", runID), slog.String("error", cause.Error()))
		mu.Lock()
		cs := calls
		mu.Unlock()
		err := s.st.Tx(ctx, func(tx *store.Store) error {
			if err := tx.InsertAPICalls(ctx, cs); err != nil {
				return err
			}
			return tx.AddSyncRunWarnings(ctx, []store.SyncRunWarning{{RunID: runID, OrgID: orgID, Code: WarnFailed, Message: msg, CreatedAt: now}})
		})
		return res, err
	}

	provider, err := s.providers(ctx, orgID, onCall)
	if err != nil {
		return fail(err)
	}
	q := hris.EmployeeQuery{Attributes: k.list(), PageSize: 100}
	// A partial run reads the employees it covered; before the first
	// import (the setting was just turned on) it reads everyone.
	if !full && len(existing) > 0 {
		since := run.StartedAt.Add(-time.Duration(max(st.LookbackHours, 1)) * time.Hour)
		q.UpdatedSince = &since
	}
	seen := map[int64]bool{} // users whose employee was listed
	readable := false
	var writes []store.BankDetail
	var deletes []int64
	err = provider.ListEmployees(ctx, q, func(page []hris.Employee) error {
		for i := range page {
			e := &page[i]
			userID, ok := linked[e.ID]
			if !ok || e.ID == 0 || seen[userID] {
				continue // not linked, or listed twice (pages shifted)
			}
			res.Fetched++
			seen[userID] = true
			f := k.read(e)
			if !f.readable {
				continue // not readable: keep what is stored
			}
			readable = true
			cur, has := existing[userID]
			if f.values == (Values{}) {
				if has {
					deletes = append(deletes, userID)
				}
				continue
			}
			ibanOK, bicOK, warning := check(f.values)
			if warning != "" {
				res.Invalid++
				warns = append(warns, store.SyncRunWarning{RunID: runID, OrgID: orgID, PersonioID: e.ID, Code: WarnInvalid, CreatedAt: now,
					Message: "Reimbursement details: " + warning})
			}
			pid := e.ID
			if has && cur.PersonioID != nil && *cur.PersonioID == pid && cur.Warning == warning && cur.Source == store.BankSourcePersonio {
				if v, err := s.open(&cur); err == nil && v == f.values {
					res.Unchanged++
					continue
				}
			}
			sealed, err := s.seal(orgID, userID, f.values)
			if err != nil {
				return fmt.Errorf("seal reimbursement details: %w", err)
			}
			masked := ""
			if f.values.IBAN != "" {
				masked = MaskIBAN(f.values.IBAN)
			}
			writes = append(writes, store.BankDetail{OrgID: orgID, UserID: userID, PersonioID: &pid, DataEnc: sealed, IBANMasked: masked,
				IBANValid: ibanOK, BICValid: bicOK, HasHolder: f.values.Holder != "", Warning: warning, Source: store.BankSourcePersonio,
				RunID: &runID, UpdatedAt: now})
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	linkedUsers := make(map[int64]bool, len(linked))
	for _, uid := range linked {
		linkedUsers[uid] = true
	}
	for uid, row := range existing {
		switch {
		case !linkedUsers[uid] && row.Source == store.BankSourcePersonio:
			// The user was unlinked: the details belonged to the employee.
			deletes = append(deletes, uid)
		case full && readable && !seen[uid] && row.Source == store.BankSourcePersonio:
			// The employee is gone from the HR system.
			deletes = append(deletes, uid)
		}
	}
	if res.Fetched > 0 && !readable {
		warns = append(warns, store.SyncRunWarning{RunID: runID, OrgID: orgID, Code: WarnNotReadable, CreatedAt: now,
			Message: fmt.Sprintf("The reimbursement attributes (%s) are not readable with this credential: no details were imported. Allow them in Personio's API credential settings.", strings.Join(k.list(), ", "))})
	}
	mu.Lock()
	cs := calls
	mu.Unlock()
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SaveBankDetails(ctx, writes); err != nil {
			return err
		}
		if err := tx.DeleteBankDetails(ctx, orgID, deletes); err != nil {
			return err
		}
		if err := tx.AddSyncRunWarnings(ctx, warns); err != nil {
			return err
		}
		return tx.InsertAPICalls(ctx, cs)
	})
	if err != nil {
		return res, fmt.Errorf("bank: save details of org %d (run %d): %w", orgID, runID, err)
	}
	res.Written, res.Deleted = len(writes), len(deletes)
	s.log.LogAttrs(ctx, slog.LevelInfo, "bank details imported", slog.Int64("org_id", orgID), slog.Int64("run_id", runID),
		slog.Int("fetched", res.Fetched), slog.Int("written", res.Written), slog.Int("unchanged", res.Unchanged),
		slog.Int("deleted", res.Deleted), slog.Int("invalid", res.Invalid))
	return res, nil
}
