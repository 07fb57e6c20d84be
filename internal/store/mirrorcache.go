package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"gorm.io/gorm"
)

// MirrorVersion is the change counter of the organisation's employee
// mirror: triggers change it in the same transaction as every insert,
// update or delete of its hr_employees rows (migration 00016), whoever
// writes them. 0 until the first write.
func (s *Store) MirrorVersion(ctx context.Context, orgID int64) (int64, error) {
	var vs []int64
	if err := s.ctx(ctx).Table("mirror_versions").Where("org_id = ?", orgID).Limit(1).Pluck("version", &vs).Error; err != nil {
		return 0, fmt.Errorf("load mirror version: %w", err)
	}
	if len(vs) == 0 {
		return 0, nil
	}
	return vs[0], nil
}

// inTx reports whether the store runs inside a transaction.
func (s *Store) inTx() bool {
	_, ok := s.db.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}

// MirrorCache keeps values derived from an organisation's whole employee
// mirror (filter facets, Personio units with counts) between requests. A
// value is served only while the mirror's version (MirrorVersion) is the
// one it was computed under; the version is read before the value is
// computed, so a write that lands meanwhile only makes the next request
// compute again. Values are shared between callers: do not modify them.
// The zero value is ready to use.
type MirrorCache[T any] struct {
	mu      sync.Mutex
	entries map[mirrorKey]*mirrorEntry[T]
}

type mirrorKey struct {
	org int64
	key string
}

type mirrorEntry[T any] struct {
	version int64
	done    chan struct{} // closed when val and err are set
	val     T
	err     error
}

// Get returns the value of (orgID, key) computed by load under the
// mirror's current version. Concurrent callers that miss wait for one
// computation. Inside a transaction (which may see its own uncommitted
// writes) it always calls load and caches nothing.
func (c *MirrorCache[T]) Get(ctx context.Context, st *Store, orgID int64, key string, load func(ctx context.Context) (T, error)) (T, error) {
	if st.inTx() || InTx(ctx) {
		// Also a transaction bound to the context (a preview's, rolled
		// back at its end: on SQLite its version numbers come back).
		return load(ctx)
	}
	v, err := st.MirrorVersion(ctx, orgID)
	if err != nil {
		var zero T
		return zero, err
	}
	k := mirrorKey{org: orgID, key: key}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[mirrorKey]*mirrorEntry[T]{}
	}
	e := c.entries[k]
	if e != nil && e.version == v {
		c.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		if e.err == nil {
			return e.val, nil
		}
		// The computation we waited for failed (its request may have been
		// cancelled): compute for ourselves, without caching.
		return load(ctx)
	}
	e = &mirrorEntry[T]{version: v, done: make(chan struct{})}
	c.entries[k] = e
	c.mu.Unlock()

	computed := false
	defer func() {
		if computed {
			return
		}
		// load failed or panicked: forget the entry, and let whoever
		// waits for it compute for themselves.
		c.mu.Lock()
		if c.entries[k] == e {
			delete(c.entries, k)
		}
		c.mu.Unlock()
		if e.err == nil {
			e.err = errors.New("mirror cache: the computation did not finish")
		}
		close(e.done)
	}()
	val, err := load(ctx)
	if err != nil {
		e.err = err
		var zero T
		return zero, err
	}
	e.val, computed = val, true
	close(e.done)
	return val, nil
}
