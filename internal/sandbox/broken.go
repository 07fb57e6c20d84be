package sandbox

import (
	"strings"
)

// Kinds of broken records (Options.BrokenRate, (*Server).Broken).
const (
	BrokenMissingEmail      = "missing_email"      // email served as ""
	BrokenDuplicateEmail    = "duplicate_email"    // two employees share one email (differing in case)
	BrokenUnknownSupervisor = "unknown_supervisor" // supervisor id of no employee
	BrokenSupervisorCycle   = "supervisor_cycle"   // two employees supervise each other
	BrokenInvalidDate       = "invalid_date"       // hire_date on the 30th of February
	BrokenWrongType         = "wrong_type"         // weekly_working_hours as an object
)

// brokenKinds is the order in which defects are handed out.
var brokenKinds = []string{BrokenMissingEmail, BrokenDuplicateEmail, BrokenUnknownSupervisor,
	BrokenSupervisorCycle, BrokenInvalidDate, BrokenWrongType}

// ghostSupervisorBase is the first supervisor id given to records with an
// unknown supervisor; no employee is ever hired with such an id.
const ghostSupervisorBase = 9_000_000

// BrokenRecord is an employee served with a deliberate defect.
type BrokenRecord struct {
	ID   int    `json:"id"`
	Kind string `json:"kind"`
}

// breakRecords gives about rate × n employees one defect each, in turn of
// brokenKinds (pair defects take two employees). Only employees without
// reports and with a unique email are chosen, picked by the seed, so the
// rest of the company is the same as without defects.
func breakRecords(c *company, seed int64, rate float64) {
	if rate <= 0 {
		return
	}
	count := map[string]int{}
	for _, e := range c.employees {
		count[e.email]++
	}
	supervises := map[int]bool{}
	for _, e := range c.employees {
		supervises[e.supervisorID] = true
	}
	var cands []*employee
	for _, e := range c.employees {
		if e.supervisorID != 0 && !supervises[e.id] && e.email != "" && count[e.email] == 1 {
			cands = append(cands, e)
		}
	}
	rng := newRNG(seed, 0xbad)
	rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	want := min(int(rate*float64(len(c.employees))+0.5), len(cands))
	picked := 0
	for k := 0; picked < want; k++ {
		kind := brokenKinds[k%len(brokenKinds)]
		if (kind == BrokenDuplicateEmail || kind == BrokenSupervisorCycle) && picked+2 > want {
			kind = BrokenMissingEmail // no room for a pair
		}
		a := cands[picked]
		a.defect = kind
		picked++
		switch kind {
		case BrokenMissingEmail:
			a.email = ""
		case BrokenUnknownSupervisor:
			a.supervisorID = ghostSupervisorBase + a.id
		case BrokenDuplicateEmail, BrokenSupervisorCycle:
			b := cands[picked]
			b.defect = kind
			picked++
			if kind == BrokenDuplicateEmail {
				b.email = strings.ToUpper(a.email[:1]) + a.email[1:]
			} else {
				a.supervisorID, b.supervisorID = b.id, a.id
			}
		}
	}
}

// Broken lists the employees served with a defect (Options.BrokenRate), by
// id.
func (s *Server) Broken() []BrokenRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []BrokenRecord
	for _, e := range s.data.employees {
		if e.defect != "" {
			out = append(out, BrokenRecord{ID: e.id, Kind: e.defect})
		}
	}
	return out
}
