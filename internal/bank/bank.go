package bank

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
)

// ProviderFactory builds the HR system client of an organisation; onCall
// receives every HTTP attempt for the API log (hrconnect.Service.Provider).
type ProviderFactory func(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error)

// Options configure a Service. Store and Box are required; Providers is
// needed by Import only.
type Options struct {
	Store     *store.Store
	Box       *secrets.Box
	Providers ProviderFactory
	Now       func() time.Time
	Log       *slog.Logger
}

// Service imports, shows and exports reimbursement details.
type Service struct {
	st        *store.Store
	box       *secrets.Box
	providers ProviderFactory
	now       func() time.Time
	log       *slog.Logger
}

// New builds a Service; Now defaults to time.Now, Log discards when nil.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: o.Store, box: o.Box, providers: o.Providers, now: o.Now, log: o.Log}
}

// Values are the clear reimbursement details, the sealed JSON of a row.
type Values struct {
	IBAN   string `json:"iban"`
	BIC    string `json:"bic"`
	Holder string `json:"holder"`
}

// associated binds a sealed value to its organisation and user: a
// ciphertext copied to another row does not open.
func associated(orgID, userID int64) string {
	return fmt.Sprintf("org:%d:user:%d:bank", orgID, userID)
}

func (s *Service) seal(orgID, userID int64, v Values) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return s.box.Seal(string(b), associated(orgID, userID))
}

func (s *Service) open(row *store.BankDetail) (Values, error) {
	var v Values
	pt, err := s.box.Open(row.DataEnc, associated(row.OrgID, row.UserID))
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(pt), &v); err != nil {
		return v, fmt.Errorf("decode reimbursement details of user %d: %w", row.UserID, err)
	}
	return v, nil
}

// Details are a user's reimbursement details as shown to the user and to
// admins: the IBAN masked, BIC and holder in clear.
type Details struct {
	IBANMasked string
	BIC        string
	Holder     string
	Source     string
	UpdatedAt  time.Time
	Warning    string
}

// ForUser returns the reimbursement details of userID for the actor: the
// user themself or an admin of the same organisation. It returns nil (and
// no error) when there are none or the actor may not see them.
func (s *Service) ForUser(ctx context.Context, a roster.Actor, userID int64) (*Details, error) {
	if a.UserID != userID && !a.IsAdmin() {
		return nil, nil
	}
	row, err := s.st.BankDetail(ctx, a.OrgID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d := &Details{IBANMasked: row.IBANMasked, Source: row.Source, UpdatedAt: row.UpdatedAt, Warning: row.Warning}
	v, err := s.open(row)
	if err != nil {
		d.Warning = "The stored details cannot be decrypted (was ROSTER_SECRET_KEY changed?); they are imported again at the next full sync."
		return d, nil
	}
	d.BIC, d.Holder = v.BIC, v.Holder
	return d, nil
}

// Row is one user's reimbursement details in the export selection.
type Row struct {
	UserID      int64
	Name, Email string
	Status      string
	IBANMasked  string
	Warning     string
	UpdatedAt   time.Time
}

// List returns every user of the organisation with reimbursement details,
// masked (admins only).
func (s *Service) List(ctx context.Context, a roster.Actor) ([]Row, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	rows, err := s.st.BankDetailRows(ctx, a.OrgID, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Row, len(rows))
	for i, r := range rows {
		out[i] = Row{UserID: r.UserID, Name: r.Name, Email: r.Email, Status: r.Status, IBANMasked: r.IBANMasked, Warning: r.Warning, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}
