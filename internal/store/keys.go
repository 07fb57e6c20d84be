package store

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// SealedKind names a column holding values sealed with secrets.Box.
type SealedKind string

// Kinds of sealed values (every column Roster seals).
const (
	SealedHRClientSecret SealedKind = "hr_client_secret" // hr_connections.client_secret_enc
	SealedBankDetail     SealedKind = "bank_detail"      // bank_details.data_enc
)

// SealedKinds lists every kind, in the order key rotation handles them.
var SealedKinds = []SealedKind{SealedHRClientSecret, SealedBankDetail}

// sealedColumn says where a kind lives: its table, the column of the
// sealed value and the column that identifies a row within an organisation.
type sealedColumn struct{ table, value, id string }

var sealedColumns = map[SealedKind]sealedColumn{
	SealedHRClientSecret: {"hr_connections", "client_secret_enc", "id"},
	SealedBankDetail:     {"bank_details", "data_enc", "user_id"},
}

// SealedValue is one stored sealed value as key rotation sees it. ID is the
// hr_connections id for HR client secrets and the user id for bank details.
type SealedValue struct {
	Kind  SealedKind
	OrgID int64
	ID    int64
	Value string
}

// OrganizationIDs lists the id of every organisation, ascending
// (maintenance commands that walk all tenants, e.g. key rotation).
func (s *Store) OrganizationIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.ctx(ctx).Model(&Organization{}).Order("id").Pluck("id", &ids).Error
	return ids, err
}

// ResealBatch handles, in one transaction, up to limit non-empty sealed
// values of kind in organisation orgID whose row id is greater than after,
// in id order. reseal returns each value's replacement and whether it
// changed; changed values are written back (only if the row still holds the
// value read; on PostgreSQL the rows are locked for the batch). It returns
// the last row id seen (the next call's after) and how many rows it saw and
// rewrote; seen < limit means the organisation has no more rows of kind.
func (s *Store) ResealBatch(ctx context.Context, kind SealedKind, orgID, after int64, limit int,
	reseal func(SealedValue) (string, bool)) (last int64, seen, rewritten int, err error) {
	col, ok := sealedColumns[kind]
	if !ok {
		return after, 0, 0, fmt.Errorf("unknown sealed value kind %q", kind)
	}
	if limit <= 0 {
		return after, 0, 0, fmt.Errorf("batch size must be positive, got %d", limit)
	}
	last = after
	err = s.Tx(ctx, func(tx *Store) error {
		var rows []struct {
			ID    int64
			Value string
		}
		q := tx.ctx(ctx).Table(col.table).
			Select(col.id+" AS id, "+col.value+" AS value").
			Where("org_id = ? AND "+col.id+" > ? AND "+col.value+" <> ''", orgID, after).
			Order(col.id).Limit(limit)
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Scan(&rows).Error; err != nil {
			return err
		}
		seen, rewritten = len(rows), 0
		for _, r := range rows {
			last = r.ID
			out, changed := reseal(SealedValue{Kind: kind, OrgID: orgID, ID: r.ID, Value: r.Value})
			if !changed {
				continue
			}
			res := tx.ctx(ctx).Table(col.table).
				Where("org_id = ? AND "+col.id+" = ? AND "+col.value+" = ?", orgID, r.ID, r.Value).
				Update(col.value, out)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("%s of org %d, row %d changed while being re-sealed: run again", kind, orgID, r.ID)
			}
			rewritten++
		}
		return nil
	})
	if err != nil {
		return after, 0, 0, err
	}
	return last, seen, rewritten, nil
}
