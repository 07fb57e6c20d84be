package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// DefaultBatch is how many values Rotate re-seals per transaction.
const DefaultBatch = 100

// KindCount is what Rotate did to one kind of sealed value.
type KindCount struct {
	Kind     store.SealedKind
	Resealed int // moved to the current key
	Current  int // already under the current key, left alone
	Failed   int // opened with no configured key, left alone
}

// Failure is a stored value no configured key opens. It names the row, never the value.
type Failure struct {
	Kind   store.SealedKind
	OrgID  int64
	ID     int64
	Reason string
}

// Row names the failed row for an operator, e.g. "bank detail of org 3, user 17".
func (f Failure) Row() string { return RowName(f.Kind, f.OrgID, f.ID) }

// RotateReport is the outcome of Rotate.
type RotateReport struct {
	KeyID    string // the current key's id
	Counts   []KindCount
	Failures []Failure
}

// KindLabel is the plural, human name of a kind ("HR client secrets").
func KindLabel(k store.SealedKind) string {
	switch k {
	case store.SealedHRClientSecret:
		return "HR client secrets"
	case store.SealedBankDetail:
		return "Bank details"
	}
	return string(k)
}

// RowName names one sealed value's row without its content.
func RowName(k store.SealedKind, orgID, id int64) string {
	switch k {
	case store.SealedHRClientSecret:
		return fmt.Sprintf("HR client secret of org %d (hr connection %d)", orgID, id)
	case store.SealedBankDetail:
		return fmt.Sprintf("bank detail of org %d, user %d", orgID, id)
	}
	return fmt.Sprintf("%s of org %d, row %d", k, orgID, id)
}

// associatedFor is the associated data a kind's value was sealed with.
func associatedFor(v store.SealedValue) string {
	if v.Kind == store.SealedBankDetail {
		return BankDetailAAD(v.OrgID, v.ID)
	}
	return HRClientSecretAAD(v.OrgID)
}

// Rotate re-seals every sealed value of every organisation under the box's
// current key, batch values per transaction. Values already under the
// current key are left alone, so Rotate is idempotent and an interrupted
// run is resumed by running it again. A value no configured key opens is
// left unchanged and reported in Failures (the rest is still re-sealed).
// Each organisation whose values were re-sealed gets an audit event. The
// error is for database failures and cancellation only.
func Rotate(ctx context.Context, st *store.Store, box *Box, batch int, now func() time.Time) (*RotateReport, error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	if now == nil {
		now = time.Now
	}
	rep := &RotateReport{KeyID: box.CurrentKeyID()}
	counts := make(map[store.SealedKind]*KindCount, len(store.SealedKinds))
	for _, k := range store.SealedKinds {
		rep.Counts = append(rep.Counts, KindCount{Kind: k})
	}
	for i := range rep.Counts {
		counts[rep.Counts[i].Kind] = &rep.Counts[i]
	}
	orgs, err := st.OrganizationIDs(ctx)
	if err != nil {
		return rep, err
	}
	for _, orgID := range orgs {
		perOrg := map[store.SealedKind]int{}
		for _, kind := range store.SealedKinds {
			c := counts[kind]
			var after int64
			for {
				if err := ctx.Err(); err != nil {
					return rep, err
				}
				var current int
				var failed []Failure
				last, seen, rewritten, err := st.ResealBatch(ctx, kind, orgID, after, batch, func(v store.SealedValue) (string, bool) {
					out, changed, err := box.Reseal(v.Value, associatedFor(v))
					switch {
					case err != nil:
						failed = append(failed, Failure{Kind: kind, OrgID: orgID, ID: v.ID, Reason: box.reason(v.Value, err)})
					case !changed:
						current++
					}
					return out, changed && err == nil
				})
				if err != nil {
					return rep, fmt.Errorf("re-seal %s of org %d: %w", KindLabel(kind), orgID, err)
				}
				c.Resealed += rewritten
				c.Current += current
				c.Failed += len(failed)
				rep.Failures = append(rep.Failures, failed...)
				perOrg[kind] += rewritten
				if seen < batch {
					break
				}
				after = last
			}
		}
		if n := perOrg[store.SealedHRClientSecret] + perOrg[store.SealedBankDetail]; n > 0 {
			details := fmt.Sprintf("Re-sealed under key %s: %d HR client secret(s), %d bank detail(s).",
				rep.KeyID, perOrg[store.SealedHRClientSecret], perOrg[store.SealedBankDetail])
			a := roster.Actor{OrgID: orgID, Name: "roster CLI"}
			if err := st.AddAudit(ctx, store.NewAuditEvent(a, "secrets.rotated", "organization", 0, "Secret key", details, now().UTC())); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// reason explains a failed value for the operator (never quoting it).
func (b *Box) reason(sealed string, err error) string {
	if !errors.Is(err, ErrDecrypt) {
		return "cannot be re-sealed: " + err.Error()
	}
	if id := SealedKeyID(sealed); id != "" && b.index(id) < 0 {
		return fmt.Sprintf("sealed under key %s, which is neither ROSTER_SECRET_KEY nor ROSTER_SECRET_KEY_PREVIOUS", id)
	}
	return "opens with neither ROSTER_SECRET_KEY nor ROSTER_SECRET_KEY_PREVIOUS (damaged, or sealed under another key)"
}
