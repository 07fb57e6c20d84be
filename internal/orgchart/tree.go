// Package orgchart builds the organisation's reporting tree from the users'
// managers (users.manager_id), finds what is wrong with it (cycles, managers
// who are deactivated or missing, several roots), and serves the people
// directory around it: the chart, profiles, cached profile pictures and the
// dashboard's people overview.
package orgchart

import (
	"cmp"
	"slices"
	"strings"
)

// Person is one node of the chart: a user who is not deactivated.
type Person struct {
	ID        int64
	Name      string
	Email     string
	Title     string
	ManagerID *int64
}

// Anomaly kinds.
const (
	// KindCycle: managers that point at each other in a loop; the loop is
	// cut at its first member (by name), who is shown as a root.
	KindCycle = "cycle"
	// KindDeactivatedManager: the person's manager is deactivated.
	KindDeactivatedManager = "deactivated_manager"
	// KindMissingManager: the person's manager does not exist any more.
	KindMissingManager = "missing_manager"
	// KindSeveralRoots: more than one person has no manager.
	KindSeveralRoots = "several_roots"
)

// Anomaly is one problem of the reporting lines.
type Anomaly struct {
	Kind string
	// PersonIDs are the people concerned: the members of a cycle in order,
	// the person whose manager is deactivated or missing, or the roots.
	PersonIDs []int64
	// ManagerID is the deactivated or missing manager (0 otherwise);
	// ManagerName the deactivated manager's name.
	ManagerID   int64
	ManagerName string
}

// Tree is the reporting tree. Every person appears exactly once: people
// whose manager is deactivated, missing or part of a cut cycle become roots.
type Tree struct {
	people    map[int64]Person
	parent    map[int64]int64 // 0 for a root
	children  map[int64][]int64
	roots     []int64
	Anomalies []Anomaly
}

// Build builds the tree of people. deactivated maps the ids of deactivated
// users to their names, to tell a deactivated manager from a missing one.
func Build(people []Person, deactivated map[int64]string) *Tree {
	t := &Tree{people: make(map[int64]Person, len(people)), parent: make(map[int64]int64, len(people)), children: map[int64][]int64{}}
	for _, p := range people {
		t.people[p.ID] = p
	}
	var orphans []Anomaly
	naturalRoots := 0
	for _, p := range people {
		switch {
		case p.ManagerID == nil || *p.ManagerID == 0:
			naturalRoots++
		case t.people[*p.ManagerID].ID != 0:
			t.parent[p.ID] = *p.ManagerID
		default:
			a := Anomaly{Kind: KindMissingManager, PersonIDs: []int64{p.ID}, ManagerID: *p.ManagerID}
			if name, ok := deactivated[*p.ManagerID]; ok {
				a.Kind, a.ManagerName = KindDeactivatedManager, name
			}
			orphans = append(orphans, a)
		}
	}
	t.Anomalies = append(t.Anomalies, t.cutCycles(people)...)
	t.Anomalies = append(t.Anomalies, orphans...)
	for _, p := range people {
		if par := t.parent[p.ID]; par != 0 {
			t.children[par] = append(t.children[par], p.ID)
		} else {
			t.roots = append(t.roots, p.ID)
		}
	}
	for id := range t.children {
		t.sort(t.children[id])
	}
	t.sort(t.roots)
	if naturalRoots > 1 {
		var ids []int64
		for _, id := range t.roots {
			if m := t.people[id].ManagerID; m == nil || *m == 0 {
				ids = append(ids, id)
			}
		}
		t.Anomalies = append(t.Anomalies, Anomaly{Kind: KindSeveralRoots, PersonIDs: ids})
	}
	return t
}

// cutCycles finds every loop of managers and cuts it at the member that
// sorts first by name, recording a cycle anomaly per loop.
func (t *Tree) cutCycles(people []Person) []Anomaly {
	const (
		unvisited = iota
		onStack
		done
	)
	state := make(map[int64]int, len(people))
	var out []Anomaly
	for _, p := range people {
		if state[p.ID] != unvisited {
			continue
		}
		// Follow the manager chain; each node has at most one parent, so the
		// walk is a path that either ends, joins a finished path or loops.
		var path []int64
		id := p.ID
		for id != 0 && state[id] == unvisited {
			state[id] = onStack
			path = append(path, id)
			id = t.parent[id]
		}
		if id != 0 && state[id] == onStack {
			start := slices.Index(path, id)
			loop := slices.Clone(path[start:])
			cut := loop[0]
			for _, m := range loop[1:] {
				if t.less(m, cut) {
					cut = m
				}
			}
			delete(t.parent, cut)
			// Report the loop starting at the cut member, following managers.
			i := slices.Index(loop, cut)
			ordered := append(slices.Clone(loop[i:]), loop[:i]...)
			out = append(out, Anomaly{Kind: KindCycle, PersonIDs: ordered})
		}
		for _, n := range path {
			state[n] = done
		}
	}
	return out
}

func (t *Tree) less(a, b int64) bool {
	return t.compare(a, b) < 0
}

func (t *Tree) compare(a, b int64) int {
	if c := cmp.Compare(strings.ToLower(t.people[a].Name), strings.ToLower(t.people[b].Name)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

func (t *Tree) sort(ids []int64) { slices.SortFunc(ids, t.compare) }

// Issue returns the anomaly that made id a root other than by having no
// manager (a cut cycle, a deactivated or missing manager), if any.
func (t *Tree) Issue(id int64) (Anomaly, bool) {
	for _, a := range t.Anomalies {
		if a.Kind != KindSeveralRoots && len(a.PersonIDs) > 0 && a.PersonIDs[0] == id {
			return a, true
		}
	}
	return Anomaly{}, false
}

// Len is the number of people in the tree.
func (t *Tree) Len() int { return len(t.people) }

// Has reports whether id is a person of the tree.
func (t *Tree) Has(id int64) bool { _, ok := t.people[id]; return ok }

// Person returns the person with the id.
func (t *Tree) Person(id int64) (Person, bool) { p, ok := t.people[id]; return p, ok }

// Roots are the people shown at the top, by name.
func (t *Tree) Roots() []int64 { return t.roots }

// Children are the direct reports of id in the tree, by name.
func (t *Tree) Children(id int64) []int64 { return t.children[id] }

// Parent is id's manager in the tree (0 for a root).
func (t *Tree) Parent(id int64) int64 { return t.parent[id] }

// Reports is the number of direct reports of id in the tree.
func (t *Tree) Reports(id int64) int { return len(t.children[id]) }

// PathTo lists the people from id's root down to id; nil when id is not in
// the tree.
func (t *Tree) PathTo(id int64) []int64 {
	if !t.Has(id) {
		return nil
	}
	var path []int64
	for n := id; n != 0; n = t.parent[n] {
		path = append(path, n)
	}
	slices.Reverse(path)
	return path
}

// Search finds people whose name, email or title contains q
// (case-insensitive), by name; at most limit of them.
func (t *Tree) Search(q string, limit int) []int64 {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nil
	}
	var out []int64
	for id, p := range t.people {
		if strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(strings.ToLower(p.Email), q) ||
			strings.Contains(strings.ToLower(p.Title), q) {
			out = append(out, id)
		}
	}
	t.sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
