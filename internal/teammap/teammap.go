// Package teammap holds the "Map teams" use cases: which Roster team each
// Personio team (or department, per the team-source setting) maps to, and the
// re-assignment of linked users that follows from it.
package teammap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// SourcePersonio marks team memberships assigned through the mapping.
const SourcePersonio = "personio"

// maxTeamName is the longest team name Roster accepts.
const maxTeamName = 80

// Service runs the team-mapping use cases.
type Service struct {
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
	// units caches the Personio units with their employee counts per
	// source until the mirror changes.
	units store.MirrorCache[[]store.HRUnit]
}

// New builds the service.
func New(st *store.Store, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, now: now, log: log}
}

// Row is one Personio team (or department) and its mapping.
type Row struct {
	Key       string // the mapping key: Personio id, or name when it has none
	Name      string
	Employees int64
	TeamID    int64 // the mapped Roster team; 0 when unmapped
	TeamName  string
}

// Unmapped reports a Personio unit without a Roster team.
func (r Row) Unmapped() bool { return r.TeamID == 0 }

// Overview is what the Map teams page shows.
type Overview struct {
	Source   string // store.TeamSourceTeam or store.TeamSourceDepartment
	Synced   bool   // an employee sync has succeeded (or the mirror has data)
	Rows     []Row
	Teams    []store.TeamRow // the organisation's Roster teams, by name
	Unmapped int
}

// List returns every Personio team (or department) of the live, in-scope
// mirror with its employee count and current mapping.
func (s *Service) List(ctx context.Context, a roster.Actor) (*Overview, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	return s.overview(ctx, s.store, a.OrgID)
}

func (s *Service) overview(ctx context.Context, st *store.Store, orgID int64) (*Overview, error) {
	settings, err := st.SyncSettings(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("load sync settings: %w", err)
	}
	source := settings.TeamSource
	if source != store.TeamSourceDepartment {
		source = store.TeamSourceTeam
	}
	units, err := s.units.Get(ctx, st, orgID, source, func(ctx context.Context) ([]store.HRUnit, error) {
		return st.HRUnits(ctx, orgID, source)
	})
	if err != nil {
		return nil, err
	}
	mappings, err := st.TeamMappings(ctx, orgID, source)
	if err != nil {
		return nil, err
	}
	teams, err := st.ListTeams(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	teamName := make(map[int64]string, len(teams))
	for _, t := range teams {
		teamName[t.ID] = t.Name
	}
	mapped := make(map[string]int64, len(mappings))
	for _, m := range mappings {
		mapped[m.PersonioKey] = m.TeamID
	}
	o := &Overview{Source: source, Teams: teams, Synced: len(units) > 0}
	if !o.Synced {
		_, err := st.LastSuccessfulSyncRun(ctx, orgID, store.AreaEmployees)
		switch {
		case err == nil:
			o.Synced = true
		case !errors.Is(err, roster.ErrNotFound):
			return nil, fmt.Errorf("load last sync: %w", err)
		}
	}
	for _, u := range units {
		r := Row{Key: u.Key, Name: u.Name, Employees: u.Employees}
		if id, ok := mapped[u.Key]; ok {
			r.TeamID, r.TeamName = id, teamName[id]
		}
		if r.Unmapped() {
			o.Unmapped++
		}
		o.Rows = append(o.Rows, r)
	}
	return o, nil
}

func (o *Overview) row(key string) (Row, bool) {
	for _, r := range o.Rows {
		if r.Key == key {
			return r, true
		}
	}
	return Row{}, false
}

// Save stores the mappings (Personio key → Roster team id, 0 for unmapped;
// keys left out stay as they are) and, in the same transaction, moves every
// linked user whose Personio unit is mapped into its Roster team and takes
// the users whose unit is unmapped out of the teams the mapping gave them
// (teams added by hand stay). It returns how many users moved.
func (s *Service) Save(ctx context.Context, a roster.Actor, mapping map[string]int64) (int, error) {
	if err := a.RequireAdmin(); err != nil {
		return 0, err
	}
	o, err := s.overview(ctx, s.store, a.OrgID)
	if err != nil {
		return 0, err
	}
	teamName := make(map[int64]string, len(o.Teams))
	for _, t := range o.Teams {
		teamName[t.ID] = t.Name
	}
	p := roster.Problems{}
	keys := make([]string, 0, len(mapping))
	for key, teamID := range mapping {
		keys = append(keys, key)
		if _, ok := o.row(key); !ok {
			p.Add("", fmt.Sprintf("The Personio %s %q is no longer in the synced data; reload the page.", o.Source, key))
		}
		if _, ok := teamName[teamID]; teamID != 0 && !ok {
			p.Add("team_"+key, "Choose a team of your organisation.")
		}
	}
	if err := p.Err(); err != nil {
		return 0, err
	}
	slices.Sort(keys)
	now := s.now().UTC()
	var moved int
	ctx = store.WithLineageOrigin(ctx, store.LineageOrigin{Source: "team mapping saved by " + a.Name})
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		var changes []string
		for _, key := range keys {
			r, _ := o.row(key)
			teamID := mapping[key]
			if teamID == r.TeamID {
				continue
			}
			if teamID == 0 {
				if err := tx.DeleteTeamMapping(ctx, a.OrgID, o.Source, key); err != nil {
					return err
				}
				changes = append(changes, fmt.Sprintf("%s → not mapped", r.Name))
				continue
			}
			m := store.TeamMapping{OrgID: a.OrgID, Source: o.Source, PersonioKey: key, PersonioName: r.Name, TeamID: teamID, CreatedAt: now, UpdatedAt: now}
			if err := tx.SaveTeamMapping(ctx, &m); err != nil {
				return err
			}
			changes = append(changes, fmt.Sprintf("%s → %s", r.Name, teamName[teamID]))
		}
		n, err := s.reassign(ctx, tx, a.OrgID, o.Source, now)
		if err != nil {
			return err
		}
		moved = n
		if len(changes) == 0 && moved == 0 {
			return nil
		}
		details := strings.Join(changes, "; ")
		if details != "" {
			details += "; "
		}
		details += fmt.Sprintf("%d user(s) moved", moved)
		return tx.AddAudit(ctx, store.NewAuditEvent(a, "hr.teams_mapped", "team_mapping", 0, "Personio "+o.Source+"s", details, now))
	})
	if err != nil {
		return 0, err
	}
	return moved, nil
}

// Created is the outcome of creating Roster teams from Personio units.
type Created struct {
	Created int // new Roster teams
	Reused  int // existing Roster teams (same name) that were mapped
	Moved   int // linked users moved into the mapped teams
}

// CreateTeam creates a Roster team named after the Personio unit (or reuses
// the team of that name, case-insensitively), maps the unit to it and moves
// the unit's linked users into it.
func (s *Service) CreateTeam(ctx context.Context, a roster.Actor, personioKey string) (*Created, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	o, err := s.overview(ctx, s.store, a.OrgID)
	if err != nil {
		return nil, err
	}
	r, ok := o.row(personioKey)
	if !ok {
		return nil, &roster.ValidationError{Fields: map[string]string{"personio_key": fmt.Sprintf("Choose a Personio %s from the synced data.", o.Source)}}
	}
	return s.create(ctx, a, o.Source, []Row{r})
}

// CreateAllUnmapped does CreateTeam for every unmapped Personio unit.
func (s *Service) CreateAllUnmapped(ctx context.Context, a roster.Actor) (*Created, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	o, err := s.overview(ctx, s.store, a.OrgID)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, r := range o.Rows {
		if r.Unmapped() {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return &Created{}, nil
	}
	return s.create(ctx, a, o.Source, rows)
}

// teamNameFor turns a Personio unit name into a valid Roster team name.
func teamNameFor(name string) string {
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > maxTeamName {
		name = strings.TrimSpace(string(r[:maxTeamName]))
	}
	return name
}

func (s *Service) create(ctx context.Context, a roster.Actor, source string, rows []Row) (*Created, error) {
	now := s.now().UTC()
	out := &Created{}
	ctx = store.WithLineageOrigin(ctx, store.LineageOrigin{Source: "team mapping saved by " + a.Name})
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		*out = Created{}
		for _, r := range rows {
			name := teamNameFor(r.Name)
			t, err := tx.TeamByName(ctx, a.OrgID, name)
			switch {
			case err == nil:
				out.Reused++
			case errors.Is(err, roster.ErrNotFound):
				t = &store.Team{OrgID: a.OrgID, Name: name, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateTeam(ctx, t); err != nil {
					return err
				}
				out.Created++
				if err := tx.AddAudit(ctx, store.NewAuditEvent(a, "hr.team_created_from_personio", "team", t.ID, t.Name,
					fmt.Sprintf("from Personio %s %q", source, r.Name), now)); err != nil {
					return err
				}
			default:
				return err
			}
			if t.ID == r.TeamID {
				continue
			}
			m := store.TeamMapping{OrgID: a.OrgID, Source: source, PersonioKey: r.Key, PersonioName: r.Name, TeamID: t.ID, CreatedAt: now, UpdatedAt: now}
			if err := tx.SaveTeamMapping(ctx, &m); err != nil {
				return err
			}
			if err := tx.AddAudit(ctx, store.NewAuditEvent(a, "hr.teams_mapped", "team", t.ID, t.Name,
				fmt.Sprintf("%s → %s", r.Name, t.Name), now)); err != nil {
				return err
			}
		}
		moved, err := s.reassign(ctx, tx, a.OrgID, source, now)
		if err != nil {
			return err
		}
		out.Moved = moved
		if moved > 0 {
			return tx.AddAudit(ctx, store.NewAuditEvent(a, "hr.teams_mapped", "team_mapping", 0, "Personio "+source+"s",
				fmt.Sprintf("%d user(s) moved", moved), now))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reassign makes the Personio-sourced memberships of every linked user
// exactly the mapped team of their unit, or none when the unit is unmapped
// (or the employee has none); memberships added by hand stay. It returns how
// many users' memberships changed.
func (s *Service) reassign(ctx context.Context, tx *store.Store, orgID int64, source string, now time.Time) (int, error) {
	return reassign(ctx, tx, orgID, source, nil, now)
}

// ReassignUsers applies the current mapping (of the organisation's team
// source) to the given linked users only, inside tx: their Personio-sourced
// memberships become exactly the mapped team, or none when their unit is
// unmapped (they left their mapped team in Personio for a team that maps
// to nothing); manual memberships stay. It returns how many changed.
func ReassignUsers(ctx context.Context, tx *store.Store, orgID int64, userIDs []int64, now time.Time) (int, error) {
	if len(userIDs) == 0 {
		return 0, nil
	}
	settings, err := tx.SyncSettings(ctx, orgID)
	if err != nil {
		return 0, fmt.Errorf("load sync settings: %w", err)
	}
	only := make(map[int64]bool, len(userIDs))
	for _, id := range userIDs {
		only[id] = true
	}
	return reassign(ctx, tx, orgID, Source(settings), only, now)
}

// Source is the mapping source of the settings: team or department.
func Source(settings *store.SyncSettings) string {
	if settings.TeamSource == store.TeamSourceDepartment {
		return store.TeamSourceDepartment
	}
	return store.TeamSourceTeam
}

// reassign does the work for every linked user, or only those in only when
// it is not nil.
func reassign(ctx context.Context, tx *store.Store, orgID int64, source string, only map[int64]bool, now time.Time) (int, error) {
	mappings, err := tx.TeamMappings(ctx, orgID, source)
	if err != nil {
		return 0, err
	}
	target := make(map[string]int64, len(mappings))
	for _, m := range mappings {
		target[m.PersonioKey] = m.TeamID
	}
	linked, err := tx.LinkedUserUnits(ctx, orgID, source)
	if err != nil {
		return 0, err
	}
	members, err := tx.LinkedUsersMemberships(ctx, orgID)
	if err != nil {
		return 0, err
	}
	byUser := map[int64][]store.TeamMember{}
	for _, m := range members {
		byUser[m.UserID] = append(byUser[m.UserID], m)
	}
	var add []store.TeamMember
	var lineage []store.LineageChange
	moved := 0
	for _, l := range linked {
		if only != nil && !only[l.UserID] {
			continue
		}
		// An employee without a unit, or whose unit maps to nothing, is in
		// no mapped team: what the mapping gave them goes.
		teamID, mapped := target[store.HRUnitKey(l.UnitID, l.Name)]
		var drop, had []int64
		has := false
		for _, m := range byUser[l.UserID] {
			if m.Source == SourcePersonio {
				had = append(had, m.TeamID)
			}
			switch {
			case mapped && m.TeamID == teamID:
				has = true
			case m.Source == SourcePersonio:
				drop = append(drop, m.TeamID)
			}
		}
		if len(drop) == 0 && (has || !mapped) {
			continue
		}
		moved++
		var after []int64
		if mapped {
			after = []int64{teamID}
		}
		lineage = append(lineage, teamChange(l.UserID, had, after))
		if err := tx.DeleteTeamMemberships(ctx, orgID, l.UserID, drop); err != nil {
			return 0, err
		}
		if mapped && !has {
			add = append(add, store.TeamMember{TeamID: teamID, UserID: l.UserID, OrgID: orgID, Source: SourcePersonio, CreatedAt: now})
		}
	}
	if err := tx.InsertTeamMembers(ctx, add); err != nil {
		return 0, err
	}
	if err := recordTeamLineage(ctx, tx, orgID, lineage, now); err != nil {
		return 0, err
	}
	return moved, nil
}

// teamChange is a team move as a lineage change whose values are team ids
// ("1,2"); recordTeamLineage turns them into names.
func teamChange(userID int64, before, after []int64) store.LineageChange {
	ids := func(xs []int64) string {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = strconv.FormatInt(x, 10)
		}
		return strings.Join(parts, ",")
	}
	return store.LineageChange{UserID: userID, Field: store.LineageTeam, Old: ids(before), New: ids(after)}
}

// recordTeamLineage records team moves in the users' lineage, with team
// names ("Sales, Ops"; "" for none) in place of the ids.
func recordTeamLineage(ctx context.Context, tx *store.Store, orgID int64, cs []store.LineageChange, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	teams, err := tx.ListTeams(ctx, orgID)
	if err != nil {
		return fmt.Errorf("list teams: %w", err)
	}
	name := make(map[string]string, len(teams))
	for _, t := range teams {
		name[strconv.FormatInt(t.ID, 10)] = t.Name
	}
	names := func(v string) string {
		if v == "" {
			return ""
		}
		parts := strings.Split(v, ",")
		for i, p := range parts {
			if n, ok := name[p]; ok {
				parts[i] = n
			}
		}
		return strings.Join(parts, ", ")
	}
	for i := range cs {
		cs[i].Old, cs[i].New = names(cs[i].Old), names(cs[i].New)
	}
	return tx.RecordLineage(ctx, orgID, "team mapping", now, cs)
}
