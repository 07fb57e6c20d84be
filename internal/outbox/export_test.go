package outbox

import "github.com/rosterhq/roster/internal/store"

// SetAfterSaveID installs a hook run right after a Personio id was saved;
// an error from it simulates a crash before the outcome is committed.
func SetAfterSaveID(s *Service, fn func(it store.OutboxItem) error) { s.afterSaveID = fn }
