// Package roster holds the domain vocabulary shared by Roster's use cases:
// the acting user, and the errors the web layer maps to HTTP statuses.
package roster

import (
	"errors"
	"sort"
	"strings"
)

// Sentinel errors.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
)

// Actor is the user on whose behalf a use case runs.
type Actor struct {
	UserID int64
	OrgID  int64
	Name   string
	Role   string
}

// Role names (the store keeps them as these strings).
const (
	RoleOwner = "owner"
	RoleAdmin = "admin"
)

// IsAdmin reports an owner or admin.
func (a Actor) IsAdmin() bool { return a.Role == RoleOwner || a.Role == RoleAdmin }

// RequireAdmin returns ErrForbidden unless the actor is an owner or admin.
func (a Actor) RequireAdmin() error {
	if !a.IsAdmin() {
		return ErrForbidden
	}
	return nil
}

// ValidationError carries one message per form field ("" for the whole form).
type ValidationError struct {
	Fields map[string]string
}

// Error joins the messages.
func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if k == "" {
			parts = append(parts, e.Fields[k])
		} else {
			parts = append(parts, k+": "+e.Fields[k])
		}
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Problems collects field errors; Err returns nil when there are none.
type Problems map[string]string

// Add records msg for field unless the field already has one.
func (p Problems) Add(field, msg string) {
	if _, ok := p[field]; !ok {
		p[field] = msg
	}
}

// Err returns a *ValidationError, or nil.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Fields: p}
}

// FieldErrors extracts field messages from err (nil when err is not a validation error).
func FieldErrors(err error) map[string]string {
	var v *ValidationError
	if errors.As(err, &v) {
		return v.Fields
	}
	return nil
}

// CSVSafe neutralises spreadsheet formula injection: a cell starting with
// = + - @ or a tab/CR is prefixed with a single quote.
func CSVSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
