package lifecycle

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Audit actions of the manager sync (see linking.ApplyManagers).
const (
	ActionManagerChanged = linking.ActionManagerChanged
	ActionRoleChanged    = linking.ActionRoleChanged
)

// applyManagers gives the organisation's linked users the manager their
// employee's supervisor is linked to, and the manager role that follows,
// over the whole organisation at every run (a supervisor may be linked
// after their reports), in one transaction. It returns the number of users
// changed.
func (u *Updater) applyManagers(ctx context.Context, orgID int64) (int, error) {
	n := 0
	err := u.st.Tx(ctx, func(tx *store.Store) error {
		var err error
		n, err = linking.ApplyManagers(ctx, tx, roster.Actor{OrgID: orgID, Name: ActorName}, u.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("lifecycle: managers of org %d: %w", orgID, err)
	}
	return n, nil
}
