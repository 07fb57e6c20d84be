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
// People are held by index (their position in Build's input); at maps ids
// to indexes.
type Tree struct {
	people    []Person
	at        map[int64]int32
	parent    []int32   // index of the manager in the tree; -1 for a root
	children  [][]int64 // by index: the direct reports, by name
	rank      []int32   // by index: position by (lower-case name, id)
	roots     []int64
	Anomalies []Anomaly
}

// Build builds the tree of people. deactivated maps the ids of deactivated
// users to their names, to tell a deactivated manager from a missing one.
func Build(people []Person, deactivated map[int64]string) *Tree {
	n := len(people)
	t := &Tree{people: people, at: make(map[int64]int32, n), parent: make([]int32, n), children: make([][]int64, n), rank: make([]int32, n)}
	for i, p := range people {
		t.at[p.ID] = int32(i)
	}
	// Everyone is ordered once by (lower-case name, id): roots and reports
	// are then collected in that order, and every later comparison is one
	// of ranks.
	keys := make([]string, n)
	order := make([]int32, n)
	for i, p := range people {
		keys[i], order[i] = strings.ToLower(p.Name), int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(keys[a], keys[b]); c != 0 {
			return c
		}
		return cmp.Compare(people[a].ID, people[b].ID)
	})
	for r, i := range order {
		t.rank[i] = int32(r)
	}
	var orphans []Anomaly
	naturalRoots := 0
	for i, p := range people {
		t.parent[i] = -1
		switch {
		case p.ManagerID == nil || *p.ManagerID == 0:
			naturalRoots++
		default:
			if m, ok := t.at[*p.ManagerID]; ok {
				t.parent[i] = m
				continue
			}
			a := Anomaly{Kind: KindMissingManager, PersonIDs: []int64{p.ID}, ManagerID: *p.ManagerID}
			if name, ok := deactivated[*p.ManagerID]; ok {
				a.Kind, a.ManagerName = KindDeactivatedManager, name
			}
			orphans = append(orphans, a)
		}
	}
	t.Anomalies = append(t.Anomalies, t.cutCycles()...)
	t.Anomalies = append(t.Anomalies, orphans...)
	for _, i := range order {
		if par := t.parent[i]; par >= 0 {
			t.children[par] = append(t.children[par], people[i].ID)
		} else {
			t.roots = append(t.roots, people[i].ID)
		}
	}
	if naturalRoots > 1 {
		var ids []int64
		for _, id := range t.roots {
			if m := t.people[t.at[id]].ManagerID; m == nil || *m == 0 {
				ids = append(ids, id)
			}
		}
		t.Anomalies = append(t.Anomalies, Anomaly{Kind: KindSeveralRoots, PersonIDs: ids})
	}
	return t
}

// cutCycles finds every loop of managers and cuts it at the member that
// sorts first by name, recording a cycle anomaly per loop.
func (t *Tree) cutCycles() []Anomaly {
	const (
		unvisited = iota
		onStack
		done
	)
	state := make([]uint8, len(t.people))
	var out []Anomaly
	var path []int32
	for start := range t.people {
		if state[start] != unvisited {
			continue
		}
		// Follow the manager chain; each node has at most one parent, so the
		// walk is a path that either ends, joins a finished path or loops.
		path = path[:0]
		i := int32(start)
		for i >= 0 && state[i] == unvisited {
			state[i] = onStack
			path = append(path, i)
			i = t.parent[i]
		}
		if i >= 0 && state[i] == onStack {
			loop := path[slices.Index(path, i):]
			cut := 0
			for k := range loop {
				if t.rank[loop[k]] < t.rank[loop[cut]] {
					cut = k
				}
			}
			t.parent[loop[cut]] = -1
			// Report the loop starting at the cut member, following managers.
			ordered := make([]int64, 0, len(loop))
			for k := range loop {
				ordered = append(ordered, t.people[loop[(cut+k)%len(loop)]].ID)
			}
			out = append(out, Anomaly{Kind: KindCycle, PersonIDs: ordered})
		}
		for _, n := range path {
			state[n] = done
		}
	}
	return out
}

// compare orders people of the tree by (lower-case name, id).
func (t *Tree) compare(a, b int64) int {
	return cmp.Compare(t.rank[t.at[a]], t.rank[t.at[b]])
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
func (t *Tree) Has(id int64) bool { _, ok := t.at[id]; return ok }

// Person returns the person with the id.
func (t *Tree) Person(id int64) (Person, bool) {
	i, ok := t.at[id]
	if !ok {
		return Person{}, false
	}
	return t.people[i], true
}

// Roots are the people shown at the top, by name.
func (t *Tree) Roots() []int64 { return t.roots }

// Children are the direct reports of id in the tree, by name.
func (t *Tree) Children(id int64) []int64 {
	i, ok := t.at[id]
	if !ok {
		return nil
	}
	return t.children[i]
}

// Parent is id's manager in the tree (0 for a root).
func (t *Tree) Parent(id int64) int64 {
	i, ok := t.at[id]
	if !ok || t.parent[i] < 0 {
		return 0
	}
	return t.people[t.parent[i]].ID
}

// Reports is the number of direct reports of id in the tree.
func (t *Tree) Reports(id int64) int { return len(t.Children(id)) }

// PathTo lists the people from id's root down to id; nil when id is not in
// the tree.
func (t *Tree) PathTo(id int64) []int64 {
	i, ok := t.at[id]
	if !ok {
		return nil
	}
	var path []int64
	for ; i >= 0; i = t.parent[i] {
		path = append(path, t.people[i].ID)
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
	for _, p := range t.people {
		if strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(strings.ToLower(p.Email), q) ||
			strings.Contains(strings.ToLower(p.Title), q) {
			out = append(out, p.ID)
		}
	}
	t.sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
