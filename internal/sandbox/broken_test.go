package sandbox

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestBrokenRecords(t *testing.T) {
	opts := DefaultOptions()
	opts.Employees, opts.BrokenRate, opts.Now = 400, 0.05, func() time.Time { return genNow }
	s := New(opts)
	broken := s.Broken()
	if len(broken) != 20 {
		t.Fatalf("%d broken records, want 20", len(broken))
	}
	if again := New(opts).Broken(); fmt.Sprint(again) != fmt.Sprint(broken) {
		t.Fatalf("not deterministic: %v then %v", broken, again)
	}
	clean := New(func() Options { o := opts; o.BrokenRate = 0; return o }())
	if len(clean.Broken()) != 0 {
		t.Fatal("a clean company has broken records")
	}
	kinds := map[string]int{}
	for _, b := range broken {
		kinds[b.Kind]++
		e := s.data.employee(b.ID)
		wire := string(s.appendEmployee(nil, e, &encCtx{c: s.data}, nil))
		var want string
		switch b.Kind {
		case BrokenMissingEmail:
			want = `"email":{"label":"Email","value":""`
		case BrokenDuplicateEmail:
			want = `"email":{"label":"Email","value":"`
		case BrokenUnknownSupervisor:
			want = fmt.Sprintf(`"value":%d`, ghostSupervisorBase+b.ID)
		case BrokenSupervisorCycle:
			sup := s.data.employee(e.supervisorID)
			if sup.supervisorID != e.id {
				t.Errorf("record %d: supervisor %d is not supervised by it", e.id, sup.id)
			}
		case BrokenInvalidDate:
			want = `-02-30T00:00:00+01:00"`
		case BrokenWrongType:
			want = `"weekly_working_hours":{"label":"Weekly hours","value":{"hours":`
		default:
			t.Fatalf("unknown kind %q", b.Kind)
		}
		if !strings.Contains(wire, want) {
			t.Errorf("%s record %d: %q not in %s", b.Kind, b.ID, want, wire)
		}
		// Untouched records of the clean company are the same.
		if c := clean.data.employee(b.ID); c.firstName != e.firstName || c.position != e.position {
			t.Errorf("record %d differs beyond its defect", b.ID)
		}
	}
	for _, k := range brokenKinds {
		if kinds[k] == 0 {
			t.Errorf("no record of kind %s: %v", k, kinds)
		}
	}
	if kinds[BrokenDuplicateEmail]%2 != 0 || kinds[BrokenSupervisorCycle]%2 != 0 {
		t.Errorf("pair defects not in pairs: %v", kinds)
	}
}
