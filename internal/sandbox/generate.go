package sandbox

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"
)

const (
	firstEmployeeID = 1001
	firstTimeOffID  = 200001
	fanOut          = 8 // direct reports per manager in the generated tree
	emailDomain     = "roster-demo.example"
	oneDay          = 86400
)

// Time-off type ids; the first matches the spec example.
const (
	typePaidVacation   = 113437
	typeSickLeave      = 113438
	typeParentalLeave  = 113439
	typeHomeOffice     = 113440
	typeUnpaidVacation = 113441
	typeSpecialLeave   = 113442
	typeDoctor         = 113443
)

func timeOffTypes() []timeOffType {
	return []timeOffType{
		{typePaidVacation, "Paid vacation", "paid_vacation", "day", true, false, true},
		{typeSickLeave, "Sick leave", "sick_leave", "day", false, true, true},
		{typeParentalLeave, "Parental leave", "maternity_parental_leave", "day", true, false, false},
		{typeHomeOffice, "Home office", "offsite_work", "day", false, false, true},
		{typeUnpaidVacation, "Unpaid vacation", "unpaid_vacation", "day", true, false, false},
		{typeSpecialLeave, "Special leave", "other", "day", true, false, true},
		{typeDoctor, "Doctor's appointment", "other", "hour", false, false, false},
	}
}

func newRNG(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// generate builds the deterministic demo company: the same seed, size and day
// of now always yield the same data.
func generate(seed int64, n int, now time.Time) *company {
	rng := newRNG(seed, 0x5eed)
	today := civilOf(berlinLocal(now))
	nowUnix := now.Unix()

	depts := departmentSpecs()
	c := &company{
		subcompanies: []orgUnit{{7033, "Roster Demo GmbH"}, {7034, "Roster Demo Austria GmbH"}, {7035, "Roster Demo France SAS"}},
		offices:      officeSpecs(),
		byID:         make(map[int]*employee, n),
		timeOffByID:  make(map[int]*timeOff, n*3/2),
		attendanceBy: make(map[string]*attendancePeriod),
		timeOffTypes: timeOffTypes(),
		nextEmpID:    firstEmployeeID,
		nextTimeOff:  firstTimeOffID,
	}
	teamStart := make([]int, len(depts))
	for i, d := range depts {
		c.departments = append(c.departments, orgUnit{281521 + i, d.name})
		c.costCenters = append(c.costCenters, orgUnit{82957 + i, "CC-" + strconv.Itoa(100+10*i) + " " + d.name})
		teamStart[i] = len(c.teams)
		for _, t := range d.teamNames {
			c.teams = append(c.teams, orgUnit{59026 + len(c.teams), t})
		}
	}
	management := len(c.departments)
	c.departments = append(c.departments, orgUnit{281521 + management, "Management"})
	shared := len(c.costCenters)
	c.costCenters = append(c.costCenters, orgUnit{82957 + shared, "CC-900 Shared Services"})

	given, family := givenNames(), familyNames()
	emails := make(map[string]struct{}, n)
	founded := today.addDays(-8 * 365)
	teamCounter := make([]int, len(depts))
	deptOf := make([]int16, n)
	teamOf := make([]int16, n)
	depth := make([]uint8, n)
	employees := make([]employee, n) // one allocation for the whole company
	c.employees = make([]*employee, 0, n)

	// Special cases guaranteed for companies of 12 or more.
	special := map[int]string{}
	if n >= 12 {
		special[n-1] = "onboarding"
		special[n-2] = "leave"
		special[n-3] = "inactive"
		special[n-4] = "future-leaver"
		special[n-5] = "no-email"
		special[n-6] = "rehired"
		special[n-7] = "former" // the earlier employment of n-6, same email
	}

	for i := range n {
		e := &employees[i]
		e.id = firstEmployeeID + i
		parent := -1
		if i > 0 {
			parent = (i - 1) / fanOut
			e.supervisorID = firstEmployeeID + parent
			depth[i] = depth[parent] + 1
		}
		hasReports := fanOut*i+1 < n
		switch {
		case i == 0:
			deptOf[i], teamOf[i] = int16(management), none
		case depth[i] == 1:
			deptOf[i], teamOf[i] = int16((i-1)%len(depts)), none
		case depth[i] == 2:
			d := deptOf[parent]
			deptOf[i] = d
			teamOf[i] = int16(teamStart[d] + teamCounter[d]%len(depts[d].teamNames))
			teamCounter[d]++
		default:
			deptOf[i], teamOf[i] = deptOf[parent], teamOf[parent]
		}
		e.department, e.team = deptOf[i], teamOf[i]

		g := given[rng.IntN(len(given))]
		e.firstName, e.gender = g.name, g.gender
		e.lastName = family[rng.IntN(len(family))]
		if kind := special[i]; kind == "former" || kind == "rehired" {
			e.firstName, e.gender, e.lastName = "Zoë", "female", "Lefèvre"
		}
		if rng.IntN(5) == 0 {
			e.preferredName = e.fullName()
		}

		// Position.
		switch {
		case i == 0:
			e.position = "CEO"
		case depth[i] == 1:
			e.position = depts[deptOf[i]].chief
		case hasReports:
			e.position = "Team Lead " + c.teams[teamOf[i]].name
		default:
			roles := depts[deptOf[i]].roles
			e.position = roles[rng.IntN(len(roles))]
		}

		// Office and legal entity.
		if depth[i] <= 1 {
			e.office = int16(i % 2) // Munich or Berlin
		} else {
			r := rng.IntN(100)
			switch {
			case r < 30:
				e.office = 0
			case r < 60:
				e.office = 1
			case r < 75:
				e.office = 2
			case r < 85:
				e.office = 3
			case r < 93:
				e.office = 4
			default:
				e.office = 5
			}
		}
		switch c.offices[e.office].country {
		case "AT":
			e.subcompany = 1
		case "FR":
			e.subcompany = 2
		}

		leaf := i > 0 && !hasReports
		e.external = leaf && rng.IntN(100) < 7
		switch {
		case e.external:
			e.weeklyTenths = []int{200, 300, 400}[rng.IntN(3)]
			e.hourlySalary = 60 + 5*rng.IntN(13)
		default:
			switch r := rng.IntN(100); {
			case r < 70:
				e.weeklyTenths = 400
			case r < 80:
				e.weeklyTenths = 385
			case r < 90:
				e.weeklyTenths = 320
			case r < 96:
				e.weeklyTenths = 300
			default:
				e.weeklyTenths = 200
			}
			base := 3200 + 150*rng.IntN(20)
			if depth[i] <= 2 {
				base += 3000 - 1000*int(depth[i])
			}
			e.fixSalary = base * e.weeklyTenths / 400
		}

		// Cost centers: usually the department's, sometimes split.
		if !e.external {
			cc := int16(deptOf[i])
			if int(cc) >= len(depts) {
				cc = int16(shared)
			}
			switch r := rng.IntN(100); {
			case r < 8:
				e.costCenters = []share{{cc, 50}, {int16(shared), 50}}
			case r < 12:
				e.costCenters = []share{{cc, 70}, {int16((int(cc) + 1) % len(depts)), 30}}
			default:
				e.costCenters = []share{{cc, 100}}
			}
		}

		// Dates and status.
		if i == 0 {
			e.hireDate = founded
		} else {
			span := int(today-founded) - 30 - int(depth[i])
			e.hireDate = founded.addDays(int(depth[i])*30 + rng.IntN(max(span-int(depth[i])*30, 1)))
		}
		e.status = "active"
		kind := special[i]
		if kind == "" && leaf {
			switch r := rng.IntN(100); {
			case r < 3:
				kind = "onboarding"
			case r < 7:
				kind = "leave"
			case r < 15:
				kind = "inactive"
			case r < 20:
				kind = "future-leaver"
			case r < 21 || (e.external && r < 35):
				kind = "no-email"
			}
		}
		switch kind {
		case "onboarding":
			e.status = "onboarding"
			e.hireDate = today.addDays(5 + rng.IntN(55))
		case "leave":
			e.status = "leave"
		case "inactive", "former":
			e.status = "inactive"
			if kind == "former" {
				e.hireDate = founded.addDays(100)
			}
			minEnd := e.hireDate.addDays(90)
			if minEnd >= today {
				e.hireDate = today.addDays(-400)
				minEnd = e.hireDate.addDays(90)
			}
			e.lastWorkingDay = minEnd.addDays(rng.IntN(max(int(today-minEnd)-1, 1)))
			if kind == "former" {
				e.lastWorkingDay = today.addDays(-700)
			}
			e.terminationDate = monthEnd(e.lastWorkingDay)
			e.terminationType, e.terminationReason = terminationDetails(rng)
		case "future-leaver":
			e.lastWorkingDay = today.addDays(3 + rng.IntN(88))
			e.terminationDate = monthEnd(e.lastWorkingDay)
			e.terminationType, e.terminationReason = terminationDetails(rng)
		case "rehired":
			e.hireDate = today.addDays(-200)
		}
		if !e.external {
			e.probationEnd = e.hireDate.addDays(182)
		} else {
			e.contractEndDate = e.hireDate.addDays(365 + rng.IntN(365))
		}

		// Email: unique except for the rehire pair, missing for a few.
		if kind != "no-email" {
			local := transliterate(e.firstName) + "." + transliterate(e.lastName)
			email := local + "@" + emailDomain
			for k := 2; ; k++ {
				if _, dup := emails[email]; !dup {
					break
				}
				email = local + strconv.Itoa(k) + "@" + emailDomain
			}
			if kind == "former" {
				// Claimed now so no one else gets it; the rehire reuses it.
				emails[email] = struct{}{}
			} else if kind == "rehired" {
				email = employees[i-1].email
			} else {
				emails[email] = struct{}{}
			}
			e.email = email
		}

		// Timestamps.
		created := berlinMidnight(e.hireDate.addDays(-7-rng.IntN(50))).Unix() + int64(8*3600+rng.IntN(9*3600))
		if created > nowUnix-oneDay {
			created = nowUnix - oneDay - int64(rng.IntN(3600))
		}
		e.createdAt = created
		span := nowUnix - oneDay - created
		modified := created
		if span > 0 {
			modified += rng.Int64N(span)
		}
		if e.lastWorkingDay.valid() {
			// The termination was recorded after the hire.
			modified = max(modified, min(berlinMidnight(e.lastWorkingDay.addDays(-30)).Unix(), nowUnix-3600))
		}
		e.baseModified, e.lastModified = modified, modified

		e.hasPicture = rng.IntN(100) < 85
		if !e.external || rng.IntN(2) == 0 {
			e.iban, e.bic = makeIBAN(rng, c.offices[e.office].ibanCountry, rng.IntN(10) != 0)
			e.holder = e.fullName()
		}
		switch r := rng.IntN(100); {
		case r < 8:
			e.title = "Dr."
		case r < 9:
			e.title = "Prof. Dr."
		}
		e.vacation = 30
		switch c.offices[e.office].country {
		case "AT", "FR":
			e.vacation = 25
		}
		e.colonOffsets = rng.IntN(10) < 7

		c.employees = append(c.employees, e)
		c.byID[e.id] = e
	}
	c.nextEmpID = firstEmployeeID + n

	generateTimeOffs(c, newRNG(seed, 0x7011), today, nowUnix)
	generateAttendance(c, newRNG(seed, 0xa77e), today, nowUnix)
	return c
}

func monthEnd(d civil) civil {
	t := d.time()
	return civilOf(time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC))
}

func terminationDetails(rng *rand.Rand) (kind, reason string) {
	kinds := []string{"Resignation by employee", "Termination by employer", "Mutual agreement", "End of fixed-term contract"}
	reasons := []string{"New job", "Relocation", "Restructuring", "Career change", ""}
	return kinds[rng.IntN(len(kinds))], reasons[rng.IntN(len(reasons))]
}

// weekdaysBetween counts Monday–Friday days in [a, b].
func weekdaysBetween(a, b civil) int {
	n := 0
	for d := a; d <= b; d++ {
		if wd := d.weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}

func nextWeekday(d civil) civil {
	for d.weekday() == time.Saturday || d.weekday() == time.Sunday {
		d++
	}
	return d
}

func daysCount(start, end civil, halfStart, halfEnd bool) float64 {
	n := float64(weekdaysBetween(start, end))
	if halfStart {
		n -= 0.5
	}
	if halfEnd && end != start {
		n -= 0.5
	}
	return max(n, 0.5)
}

func generateTimeOffs(c *company, rng *rand.Rand, today civil, nowUnix int64) {
	comments := []string{"", "", "", "Sommerurlaub", "Family visit", "Vacances en famille", "Umzug", "Wedding 💍"}
	typeIdx := func(id int) int { return c.timeOffTypeIndex(id) }
	for _, e := range c.employees {
		if e.status == "onboarding" {
			continue
		}
		from := max(e.hireDate, today.addDays(-300))
		to := today.addDays(90)
		if e.lastWorkingDay.valid() && e.lastWorkingDay < to {
			to = e.lastWorkingDay
		}
		if to <= from {
			continue
		}
		count := rng.IntN(4)
		if e.status == "leave" {
			// The parental leave that explains the status.
			start := nextWeekday(today.addDays(-rng.IntN(120) - 1))
			end := today.addDays(60 + rng.IntN(240))
			addGeneratedTimeOff(c, rng, e, typeIdx(typeParentalLeave), start, end, false, false, "approved", "", nowUnix)
		}
		for range count {
			start := nextWeekday(from.addDays(rng.IntN(int(to - from))))
			var id, length int
			switch r := rng.IntN(100); {
			case r < 50:
				id, length = typePaidVacation, 1+rng.IntN(12)
			case r < 70:
				id, length = typeSickLeave, 1+rng.IntN(5)
			case r < 90:
				id, length = typeHomeOffice, 1
			case r < 94:
				id, length = typeUnpaidVacation, 3+rng.IntN(8)
			default:
				id, length = typeSpecialLeave, 1+rng.IntN(2)
			}
			end := start.addDays(length - 1)
			if end > to && to >= start {
				end = to
			}
			halfStart, halfEnd := false, false
			if id == typePaidVacation || id == typeHomeOffice {
				switch r := rng.IntN(100); {
				case r < 8:
					halfStart = true
				case r < 12 && end > start:
					halfEnd = true
				}
			}
			status := "approved"
			if start > today && c.timeOffTypes[typeIdx(id)].approvalRequired && rng.IntN(3) == 0 {
				status = "pending"
			}
			comment := ""
			if id == typePaidVacation {
				comment = comments[rng.IntN(len(comments))]
			}
			addGeneratedTimeOff(c, rng, e, typeIdx(id), start, end, halfStart, halfEnd, status, comment, nowUnix)
		}
	}
}

func addGeneratedTimeOff(c *company, rng *rand.Rand, e *employee, typeIdx int, start, end civil, halfStart, halfEnd bool, status, comment string, nowUnix int64) {
	created := berlinMidnight(start.addDays(-1-rng.IntN(45))).Unix() + int64(7*3600+rng.IntN(11*3600))
	created = min(created, nowUnix-int64(rng.IntN(7200))-60)
	updated := created
	if rng.IntN(5) == 0 {
		updated = min(created+int64(rng.IntN(3*oneDay)), nowUnix-60)
	}
	createdBy := e.fullName()
	switch r := rng.IntN(10); {
	case r < 2:
		createdBy = "API"
	case r < 4 && e.supervisorID != 0:
		if s := c.byID[e.supervisorID]; s != nil {
			createdBy = s.fullName()
		}
	}
	t := &timeOff{
		id:           c.nextTimeOff,
		employeeID:   e.id,
		typeIdx:      typeIdx,
		startDate:    start,
		endDate:      end,
		halfDayStart: halfStart,
		halfDayEnd:   halfEnd,
		status:       status,
		comment:      comment,
		createdBy:    createdBy,
		daysCount:    daysCount(start, end, halfStart, halfEnd),
		createdAt:    created,
		updatedAt:    updated,
	}
	c.addTimeOff(t)
}

// newUUID draws a version-4 UUID from the generator.
func newUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// generateAttendance records the last ten working days of up to 40 active
// internal employees: work, a break, more work.
func generateAttendance(c *company, rng *rand.Rand, today civil, nowUnix int64) {
	for range 3 {
		c.projects = append(c.projects, newUUID(rng))
	}
	var people []*employee
	for _, e := range c.employees {
		if e.status == "active" && !e.external && e.hireDate < today.addDays(-20) {
			people = append(people, e)
			if len(people) == 40 {
				break
			}
		}
	}
	var days []civil
	for d := today.addDays(-1); len(days) < 10; d-- {
		if wd := d.weekday(); wd != time.Saturday && wd != time.Sunday {
			days = append(days, d)
		}
	}
	for pi, e := range people {
		for di := len(days) - 1; di >= 0; di-- {
			d := days[di]
			wall := int64(d-civilEpochOffset) * oneDay
			start := wall + int64(7*3600+rng.IntN(150)*60)
			breakStart := wall + int64(12*3600+rng.IntN(4)*15*60)
			breakEnd := breakStart + int64(30+rng.IntN(2)*15)*60
			end := breakEnd + int64(3*3600+rng.IntN(240)*60)
			status := "CONFIRMED"
			if di < 2 {
				status = "PENDING"
			} else if rng.IntN(50) == 0 {
				status = "REJECTED"
			}
			project := ""
			if rng.IntN(2) == 0 {
				project = c.projects[rng.IntN(len(c.projects))]
			}
			created := min(berlinWallToInstant(time.Unix(end, 0).UTC()).Unix()+int64(rng.IntN(3600)), nowUnix-60)
			add := func(kind string, from, to int64, hasEnd bool, project string) {
				p := &attendancePeriod{
					id: newUUID(rng), personID: e.id, kind: kind, start: from, end: to, hasEnd: hasEnd,
					attribution: d, status: status, projectID: project, createdAt: created, updatedAt: created,
				}
				c.attendance = append(c.attendance, p)
				c.attendanceBy[p.id] = p
			}
			add("WORK", start, breakStart, true, project)
			add("BREAK", breakStart, breakEnd, true, "")
			// The most recent afternoon of the first person is still open.
			open := pi == 0 && di == 0
			add("WORK", breakEnd, end, !open, project)
		}
	}
}
