package bank

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// ActionExported is the audit action of an export.
const ActionExported = "bank.exported"

// ExportHeader is the first line of the export.
var ExportHeader = []string{"user", "email", "account_holder", "iban", "bic", "source", "updated_at", "warning"}

// Export is a prepared export: the rows are decrypted and the audit event
// written; Write streams them as CSV.
type Export struct {
	rows [][]string
}

// Len is the number of users in the export.
func (e *Export) Len() int { return len(e.rows) }

// Write writes the CSV (spreadsheet formulas neutralised).
func (e *Export) Write(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return err
	}
	for _, r := range e.rows {
		rec := make([]string, len(r))
		for i, v := range r {
			rec[i] = roster.CSVSafe(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// PrepareExport decrypts the reimbursement details of the selected users
// of the actor's organisation (all users with details when userIDs is nil)
// and records the export in the audit log: who, how many users, never the
// values. Admins only. A selection without any details is a validation
// error.
func (s *Service) PrepareExport(ctx context.Context, a roster.Actor, userIDs []int64) (*Export, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	if userIDs != nil && len(userIDs) == 0 {
		return nil, &roster.ValidationError{Fields: map[string]string{"user_ids": "Select at least one user."}}
	}
	rows, err := s.st.BankDetailRows(ctx, a.OrgID, userIDs)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		msg := "No user has reimbursement details yet: turn on the import in the HR sync settings and run a sync."
		if userIDs != nil {
			msg = "None of the selected users has reimbursement details."
		}
		return nil, &roster.ValidationError{Fields: map[string]string{"user_ids": msg}}
	}
	ex := &Export{rows: make([][]string, 0, len(rows))}
	for i := range rows {
		r := &rows[i]
		v, err := s.open(&r.BankDetail)
		if err != nil {
			return nil, fmt.Errorf("bank: open the details of user %d: %w", r.UserID, err)
		}
		source := "Roster"
		if r.Source == store.BankSourcePersonio {
			source = "Personio"
		}
		ex.rows = append(ex.rows, []string{r.Name, r.Email, v.Holder, v.IBAN, v.BIC, source,
			r.UpdatedAt.UTC().Format(time.RFC3339), r.Warning})
	}
	scope := "selected users"
	if userIDs == nil {
		scope = "all users with details"
	}
	details := fmt.Sprintf("%d user(s) exported (%s)", len(ex.rows), scope)
	if err := s.st.AddAudit(ctx, store.NewAuditEvent(a, ActionExported, "bank_details", 0, "Reimbursement details", details, s.now())); err != nil {
		return nil, err
	}
	return ex, nil
}
