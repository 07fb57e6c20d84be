package orgchart_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/orgchart"
)

func p(id int64, name string, manager int64) orgchart.Person {
	per := orgchart.Person{ID: id, Name: name}
	if manager != 0 {
		per.ManagerID = &manager
	}
	return per
}

func kinds(as []orgchart.Anomaly) map[string][]orgchart.Anomaly {
	out := map[string][]orgchart.Anomaly{}
	for _, a := range as {
		out[a.Kind] = append(out[a.Kind], a)
	}
	return out
}

func TestBuildHealthyTree(t *testing.T) {
	tr := orgchart.Build([]orgchart.Person{p(1, "Ceo", 0), p(2, "Bea", 1), p(3, "Al", 1), p(4, "Dan", 2)}, nil)
	if got := tr.Roots(); !slices.Equal(got, []int64{1}) {
		t.Fatalf("roots %v", got)
	}
	if got := tr.Children(1); !slices.Equal(got, []int64{3, 2}) {
		t.Fatalf("children sorted by name: %v", got)
	}
	if tr.Reports(1) != 2 || tr.Reports(4) != 0 {
		t.Fatalf("report counts %d %d", tr.Reports(1), tr.Reports(4))
	}
	if got := tr.PathTo(4); !slices.Equal(got, []int64{1, 2, 4}) {
		t.Fatalf("path %v", got)
	}
	if len(tr.Anomalies) != 0 {
		t.Fatalf("anomalies in a healthy tree: %+v", tr.Anomalies)
	}
}

func TestBuildAnomalies(t *testing.T) {
	people := []orgchart.Person{
		p(1, "Ceo", 0),
		p(2, "Other Root", 0),
		// A loop 10 → 11 → 12 → 10, with 13 hanging below it.
		p(10, "Zed", 11), p(11, "Mia", 12), p(12, "Kim", 10), p(13, "Below Loop", 12),
		// Self-managed.
		p(20, "Selfie", 20),
		// Manager deactivated, manager missing.
		p(30, "Orphan A", 99), p(31, "Orphan B", 98),
	}
	tr := orgchart.Build(people, map[int64]string{99: "Gone Boss"})
	k := kinds(tr.Anomalies)
	if len(k[orgchart.KindCycle]) != 2 {
		t.Fatalf("cycles: %+v", k[orgchart.KindCycle])
	}
	var loop []int64
	for _, a := range k[orgchart.KindCycle] {
		if len(a.PersonIDs) == 3 {
			loop = a.PersonIDs
		}
	}
	// Cut at Kim (first by name), then following managers: Kim → Zed → Mia.
	if !slices.Equal(loop, []int64{12, 10, 11}) {
		t.Fatalf("loop %v", loop)
	}
	if tr.Parent(12) != 0 || tr.Parent(10) != 11 || tr.Parent(13) != 12 {
		t.Fatalf("cut at the wrong place: parents 12→%d 10→%d 13→%d", tr.Parent(12), tr.Parent(10), tr.Parent(13))
	}
	if got := tr.PathTo(13); !slices.Equal(got, []int64{12, 13}) {
		t.Fatalf("path below the loop %v", got)
	}
	if d := k[orgchart.KindDeactivatedManager]; len(d) != 1 || d[0].PersonIDs[0] != 30 || d[0].ManagerName != "Gone Boss" {
		t.Fatalf("deactivated manager: %+v", d)
	}
	if m := k[orgchart.KindMissingManager]; len(m) != 1 || m[0].PersonIDs[0] != 31 || m[0].ManagerID != 98 {
		t.Fatalf("missing manager: %+v", m)
	}
	if r := k[orgchart.KindSeveralRoots]; len(r) != 1 || !slices.Equal(r[0].PersonIDs, []int64{1, 2}) {
		t.Fatalf("several roots: %+v", r)
	}
	// Every person is reachable exactly once from the roots.
	seen := map[int64]int{}
	var walk func(id int64)
	walk = func(id int64) {
		seen[id]++
		for _, c := range tr.Children(id) {
			walk(c)
		}
	}
	for _, r := range tr.Roots() {
		walk(r)
	}
	for _, per := range people {
		if seen[per.ID] != 1 {
			t.Errorf("%s reached %d times", per.Name, seen[per.ID])
		}
	}
}

func TestBuildLargeDeepTree(t *testing.T) {
	// 2,000 people in a chain: building and finding the path stays linear.
	var people []orgchart.Person
	for i := int64(1); i <= 2000; i++ {
		people = append(people, p(i, fmt.Sprintf("Person %04d", i), i-1))
	}
	tr := orgchart.Build(people, nil)
	if len(tr.Roots()) != 1 || len(tr.PathTo(2000)) != 2000 || len(tr.Anomalies) != 0 {
		t.Fatalf("roots %d, path %d, anomalies %d", len(tr.Roots()), len(tr.PathTo(2000)), len(tr.Anomalies))
	}
	if got := tr.Search("person 1999", 5); !slices.Equal(got, []int64{1999}) {
		t.Fatalf("search %v", got)
	}
}
