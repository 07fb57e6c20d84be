package teammap

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

// Resolver tells which Roster team an employee joins through the current
// mapping (team or department, per the organisation's team source).
type Resolver struct {
	Source string
	teams  map[string]int64 // personio key → team id
	names  map[int64]string // team id → name
}

// LoadResolver reads the organisation's team source, mappings and team names.
func LoadResolver(ctx context.Context, st *store.Store, orgID int64) (*Resolver, error) {
	settings, err := st.SyncSettings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("load sync settings: %w", err)
	}
	r := &Resolver{Source: Source(settings), teams: map[string]int64{}, names: map[int64]string{}}
	ms, err := st.TeamMappings(ctx, orgID, r.Source)
	if err != nil {
		return nil, err
	}
	for _, tm := range ms {
		r.teams[tm.PersonioKey] = tm.TeamID
	}
	ts, err := st.ListTeams(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	for _, t := range ts {
		r.names[t.ID] = t.Name
	}
	return r, nil
}

// TeamOf returns the employee's Personio team (or department) name and the
// Roster team it maps to; mapped is false when the unit is empty or unmapped.
func (r *Resolver) TeamOf(e *store.HREmployee) (unit, team string, mapped bool) {
	id, name := e.TeamID, e.TeamName
	if r.Source == store.TeamSourceDepartment {
		id, name = e.DepartmentID, e.DepartmentName
	}
	if id == 0 && name == "" {
		return "", "", false
	}
	teamID, ok := r.teams[store.HRUnitKey(id, name)]
	if !ok {
		return name, "", false
	}
	return name, r.names[teamID], true
}
