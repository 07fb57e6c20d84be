package orgchart

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// PictureSource fetches an employee's picture from the HR system with the
// organisation's credentials (the Personio client).
type PictureSource interface {
	ProfilePicture(ctx context.Context, employeeID int64, width int) (hris.Picture, error)
}

// Options configures the service.
type Options struct {
	Store *store.Store
	// Pictures returns the HR client of a connected organisation; nil (or
	// an error: not connected) makes the service fetch a user's picture URL
	// with plain HTTP(S).
	Pictures   func(ctx context.Context, orgID int64) (PictureSource, error)
	HTTPClient *http.Client // plain picture fetches; nil: a client with PictureTimeout
	Now        func() time.Time
	Log        *slog.Logger
}

// Service runs the org chart, profile and picture use cases.
type Service struct {
	store    *store.Store
	pictures func(ctx context.Context, orgID int64) (PictureSource, error)
	http     *http.Client
	now      func() time.Time
	log      *slog.Logger

	mu       sync.Mutex
	inflight map[[2]int64]*fetchCall
}

// New builds the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: PictureTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	}
	return &Service{store: o.Store, pictures: o.Pictures, http: o.HTTPClient, now: o.Now, log: o.Log, inflight: map[[2]int64]*fetchCall{}}
}

// SearchLimit is the most people a search returns.
const SearchLimit = 20

// Card is what the chart shows of a person.
type Card struct {
	ID         int64
	Name       string
	Title      string
	Email      string
	HireDate   string // "YYYY-MM-DD" or ""
	Teams      []string
	Reports    int
	HasPicture bool
	// Issue explains why the person sits at the top although they have a
	// manager: KindCycle, KindDeactivatedManager or KindMissingManager.
	Issue       string
	IssueDetail string
}

// Node is a card with, when it is opened, its reports.
type Node struct {
	Card
	Open      bool
	Highlight bool
	Children  []Node
}

// Ref names a person.
type Ref struct {
	ID          int64
	Name        string
	Deactivated bool
}

// AnomalyView is an anomaly with names.
type AnomalyView struct {
	Kind    string
	People  []Ref
	Manager Ref // the deactivated or missing manager (Name "" when missing)
	More    int // people not named (beyond AnomalyPeople)
}

// RootsPage is how many people of the first level are shown at a time (an
// organisation without managers has everyone at the top).
const RootsPage = 100

// AnomalyPeople is the most people an anomaly names.
const AnomalyPeople = 50

// Overview is the first level of the chart, opened along the path to Focus.
type Overview struct {
	Total int
	Roots []Node
	// MoreRoots is how many people of the first level are not shown.
	MoreRoots int
	Anomalies []AnomalyView
	Focus     int64 // 0: none
	Path      []Ref // from the root to Focus
}

// chart is the loaded tree with the people's reporting lines.
type chart struct {
	tree *Tree
	// lines holds every user, deactivated ones too; at indexes it by id.
	lines []store.OrgLine
	at    map[int64]int
}

// person returns the reporting line of user id (zero when not a user of
// the organisation).
func (ch *chart) person(id int64) store.OrgLine {
	if i, ok := ch.at[id]; ok {
		return ch.lines[i]
	}
	return store.OrgLine{}
}

// load reads the organisation's reporting lines (id, manager, name, status
// of every user) in one query and builds the tree. The cards' other fields
// are loaded for the people shown only (cards).
func (s *Service) load(ctx context.Context, a roster.Actor) (*chart, error) {
	lines, err := s.store.OrgLines(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	return newChart(lines, nil), nil
}

// loadAll is load with the email and title of everyone, for searching.
func (s *Service) loadAll(ctx context.Context, a roster.Actor) (*chart, error) {
	rows, err := s.store.OrgPeople(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	lines := make([]store.OrgLine, len(rows))
	details := make(map[int64]store.OrgPerson, len(rows))
	for i, r := range rows {
		lines[i] = store.OrgLine{ID: r.ID, Name: r.Name, Status: r.Status}
		if r.ManagerID != nil {
			lines[i].ManagerID = *r.ManagerID
		}
		details[r.ID] = r
	}
	return newChart(lines, details), nil
}

// newChart builds the tree of lines; details, when not nil, gives the
// people their email and title (searches).
func newChart(lines []store.OrgLine, details map[int64]store.OrgPerson) *chart {
	ch := &chart{lines: lines, at: make(map[int64]int, len(lines))}
	people := make([]Person, 0, len(lines))
	managers := make([]int64, 0, len(lines)) // backing store of the people's ManagerID
	deactivated := map[int64]string{}
	for i, l := range lines {
		ch.at[l.ID] = i
		if l.Status == store.StatusDeactivated {
			deactivated[l.ID] = l.Name
			continue
		}
		p := Person{ID: l.ID, Name: l.Name}
		if l.ManagerID != 0 {
			managers = append(managers, l.ManagerID)
			p.ManagerID = &managers[len(managers)-1]
		}
		if d, ok := details[l.ID]; ok {
			p.Email, p.Title = d.Email, d.JobTitle
		}
		people = append(people, p)
	}
	ch.tree = Build(people, deactivated)
	return ch
}

func (ch *chart) ref(id int64) Ref {
	p := ch.person(id)
	return Ref{ID: id, Name: p.Name, Deactivated: p.Status == store.StatusDeactivated}
}

// cards builds the cards of ids with their fields and teams (two queries).
func (s *Service) cards(ctx context.Context, a roster.Actor, ch *chart, ids []int64) (map[int64]Card, error) {
	fields, err := s.store.OrgPeopleByIDs(ctx, a.OrgID, ids)
	if err != nil {
		return nil, err
	}
	teams, err := s.store.TeamsOfUsers(ctx, a.OrgID, ids)
	if err != nil {
		return nil, fmt.Errorf("load teams of the chart: %w", err)
	}
	out := make(map[int64]Card, len(ids))
	for _, id := range ids {
		p := fields[id]
		c := Card{ID: id, Name: ch.person(id).Name, Title: p.JobTitle, Email: p.Email, HireDate: p.HireDate, Reports: ch.tree.Reports(id), HasPicture: p.PictureURL != ""}
		for _, t := range teams[id] {
			c.Teams = append(c.Teams, t.Name)
		}
		if an, ok := ch.tree.Issue(id); ok {
			c.Issue = an.Kind
			switch an.Kind {
			case KindCycle:
				names := make([]string, 0, len(an.PersonIDs))
				for _, m := range an.PersonIDs {
					names = append(names, ch.person(m).Name)
				}
				c.IssueDetail = "Reporting loop: " + strings.Join(names, " → ") + " → " + names[0]
			case KindDeactivatedManager:
				c.IssueDetail = "Manager " + an.ManagerName + " is deactivated"
			case KindMissingManager:
				c.IssueDetail = "Manager no longer exists"
			}
		}
		out[id] = c
	}
	return out, nil
}

// Overview loads the chart's first level (at most roots people, by name)
// and anomalies; with focus, the chart is opened along the path from the
// root to that person. A focus that is not in the chart is ErrNotFound.
func (s *Service) Overview(ctx context.Context, a roster.Actor, focus int64, roots int) (*Overview, error) {
	ch, err := s.load(ctx, a)
	if err != nil {
		return nil, err
	}
	var path []int64
	if focus != 0 {
		if path = ch.tree.PathTo(focus); path == nil {
			return nil, roster.ErrNotFound
		}
	}
	all := ch.tree.Roots()
	shown := slices.Clone(all[:min(max(roots, 1), len(all))])
	if len(path) > 0 && !slices.Contains(shown, path[0]) {
		shown = append(shown, path[0])
	}
	ids := slices.Clone(shown)
	for _, id := range path[:max(len(path)-1, 0)] {
		ids = append(ids, ch.tree.Children(id)...)
	}
	cards, err := s.cards(ctx, a, ch, ids)
	if err != nil {
		return nil, err
	}
	onPath := map[int64]int{}
	for i, id := range path {
		onPath[id] = i + 1
	}
	var nodes func(ids []int64) []Node
	nodes = func(ids []int64) []Node {
		out := make([]Node, 0, len(ids))
		for _, id := range ids {
			n := Node{Card: cards[id], Highlight: id == focus}
			if onPath[id] > 0 && id != focus {
				n.Open = true
				n.Children = nodes(ch.tree.Children(id))
			}
			out = append(out, n)
		}
		return out
	}
	o := &Overview{Total: ch.tree.Len(), Roots: nodes(shown), MoreRoots: len(all) - len(shown), Focus: focus}
	for _, id := range path {
		o.Path = append(o.Path, ch.ref(id))
	}
	for _, an := range ch.tree.Anomalies {
		v := AnomalyView{Kind: an.Kind}
		for _, id := range an.PersonIDs[:min(len(an.PersonIDs), AnomalyPeople)] {
			v.People = append(v.People, ch.ref(id))
		}
		v.More = len(an.PersonIDs) - len(v.People)
		if an.ManagerID != 0 {
			v.Manager = Ref{ID: an.ManagerID, Name: an.ManagerName, Deactivated: an.Kind == KindDeactivatedManager}
		}
		o.Anomalies = append(o.Anomalies, v)
	}
	return o, nil
}

// Reports is a person with their direct reports.
type Reports struct {
	Person   Card
	Children []Card
	Path     []Ref // from the root down to Person
}

// Reports returns a person's card, the cards of their direct reports in
// the chart and their path from the root. A person who is not in the chart
// (deactivated, another organisation's) is ErrNotFound.
func (s *Service) Reports(ctx context.Context, a roster.Actor, id int64) (*Reports, error) {
	ch, err := s.load(ctx, a)
	if err != nil {
		return nil, err
	}
	if !ch.tree.Has(id) {
		return nil, roster.ErrNotFound
	}
	kids := ch.tree.Children(id)
	cards, err := s.cards(ctx, a, ch, append([]int64{id}, kids...))
	if err != nil {
		return nil, err
	}
	r := &Reports{Person: cards[id], Children: make([]Card, 0, len(kids))}
	for _, k := range kids {
		r.Children = append(r.Children, cards[k])
	}
	for _, p := range ch.tree.PathTo(id) {
		r.Path = append(r.Path, ch.ref(p))
	}
	return r, nil
}

// Result is a search hit with the names of its managers up to the root.
type Result struct {
	Card
	Chain []string // root first, the person's manager last
}

// Search finds people of the chart by name, email or title (at most
// SearchLimit, by name).
func (s *Service) Search(ctx context.Context, a roster.Actor, q string) ([]Result, error) {
	if strings.TrimSpace(q) == "" {
		return nil, nil
	}
	ch, err := s.loadAll(ctx, a)
	if err != nil {
		return nil, err
	}
	ids := ch.tree.Search(q, SearchLimit)
	cards, err := s.cards(ctx, a, ch, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(ids))
	for _, id := range ids {
		r := Result{Card: cards[id]}
		path := ch.tree.PathTo(id)
		for _, m := range path[:len(path)-1] {
			r.Chain = append(r.Chain, ch.person(m).Name)
		}
		out = append(out, r)
	}
	return out, nil
}
