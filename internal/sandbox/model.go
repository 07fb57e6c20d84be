package sandbox

import (
	"slices"
	"sort"
	"strings"
)

// orgUnit is a department, team, office, subcompany or cost center.
type orgUnit struct {
	id   int
	name string
}

// officeInfo adds the holiday calendar of an office.
type officeInfo struct {
	orgUnit
	country, state, calendar string
	calendarID               int
	// ibanCountry selects the bank details generated for its staff.
	ibanCountry string
}

// share is a cost-center assignment; percentage in whole percent.
type share struct {
	unit       int16 // index into company.costCenters
	percentage int16
}

const none = -1 // "no org unit" index

// employee is the stored record. Indexes refer to the company's org units so
// that 50,000 employees stay small.
type employee struct {
	id                int
	firstName         string
	lastName          string
	preferredName     string
	email             string
	gender            string
	status            string
	position          string
	supervisorID      int // 0 = none
	external          bool
	weeklyTenths      int // weekly hours × 10
	hireDate          civil
	contractEndDate   civil
	terminationDate   civil
	lastWorkingDay    civil
	probationEnd      civil
	terminationType   string
	terminationReason string
	createdAt         int64 // unix seconds
	baseModified      int64 // last modification of attributes not in changes
	lastModified      int64
	// changes records per-attribute modification times made through the
	// control API; nil for untouched generated employees. Used by the
	// updated_since + attributes[] selection filter.
	changes      []attrChange
	subcompany   int16
	office       int16
	department   int16
	team         int16
	costCenters  []share
	fixSalary    int
	hourlySalary int
	hasPicture   bool
	iban         string
	bic          string
	holder       string
	title        string
	vacation     int16 // entitlement days
	// colonOffsets selects "+01:00" (true) or "+0100" for this employee's
	// date attributes: Personio mixes both forms (NOTES.md §11.9).
	colonOffsets bool
	// defect is the kind of deliberate defect this record is served with
	// (Broken* constants, Options.BrokenRate); "" for none.
	defect string
}

type attrChange struct {
	key string
	at  int64
}

// modifiedAt returns when the attribute last changed.
func (e *employee) modifiedAt(key string) int64 {
	for _, c := range e.changes {
		if c.key == key {
			return c.at
		}
	}
	return e.baseModified
}

// touch marks attributes as changed at the given time.
func (e *employee) touch(at int64, keys ...string) {
	for _, k := range keys {
		found := false
		for i := range e.changes {
			if e.changes[i].key == k {
				e.changes[i].at = at
				found = true
				break
			}
		}
		if !found {
			e.changes = append(e.changes, attrChange{key: k, at: at})
		}
	}
	if at > e.lastModified {
		e.lastModified = at
	}
	if !slices.Contains(keys, "last_modified_at") {
		e.touchKey(at, "last_modified_at")
	}
}

func (e *employee) touchKey(at int64, key string) {
	for i := range e.changes {
		if e.changes[i].key == key {
			e.changes[i].at = at
			return
		}
	}
	e.changes = append(e.changes, attrChange{key: key, at: at})
}

func (e *employee) fullName() string { return e.firstName + " " + e.lastName }

// timeOffType is a Personio absence type.
type timeOffType struct {
	id               int
	name             string
	category         string
	unit             string // day | hour
	approvalRequired bool
	certificate      bool
	halfDays         bool
}

// timeOff is a day-unit absence period.
type timeOff struct {
	id           int
	employeeID   int
	typeIdx      int // index into company.timeOffTypes
	startDate    civil
	endDate      civil
	halfDayStart bool
	halfDayEnd   bool
	status       string
	comment      string
	createdBy    string
	daysCount    float64
	createdAt    int64
	updatedAt    int64
	deleted      bool
}

// attendancePeriod is a v2 attendance period. Times are Berlin wall-clock
// times stored as seconds since 1970 of that wall clock (no offset).
type attendancePeriod struct {
	id          string
	personID    int
	kind        string // WORK | BREAK
	start       int64
	end         int64 // 0 = open
	hasEnd      bool
	attribution civil
	status      string // PENDING | CONFIRMED | REJECTED
	projectID   string
	comment     string
	createdAt   int64 // unix seconds UTC
	updatedAt   int64
}

// company is the whole generated data set. It is guarded by Server.mu.
type company struct {
	subcompanies []orgUnit
	offices      []officeInfo
	departments  []orgUnit
	teams        []orgUnit
	costCenters  []orgUnit

	employees []*employee // sorted by id
	byID      map[int]*employee
	nextEmpID int

	timeOffTypes []timeOffType
	timeOffs     []*timeOff // sorted by id; deleted entries are compacted lazily
	timeOffByID  map[int]*timeOff
	nextTimeOff  int
	deletedTOs   int

	attendance   []*attendancePeriod
	attendanceBy map[string]*attendancePeriod
	projects     []string // uuids of projects used by attendance periods
}

func (c *company) employee(id int) *employee { return c.byID[id] }

func (c *company) addEmployee(e *employee) {
	c.employees = append(c.employees, e)
	c.byID[e.id] = e
	if e.id >= c.nextEmpID {
		c.nextEmpID = e.id + 1
	}
}

func (c *company) removeEmployee(id int) bool {
	e, ok := c.byID[id]
	if !ok {
		return false
	}
	delete(c.byID, id)
	i := sort.Search(len(c.employees), func(i int) bool { return c.employees[i].id >= id })
	if i < len(c.employees) && c.employees[i] == e {
		c.employees = slices.Delete(c.employees, i, i+1)
	}
	return true
}

func (c *company) addTimeOff(t *timeOff) {
	c.timeOffs = append(c.timeOffs, t)
	c.timeOffByID[t.id] = t
	if t.id >= c.nextTimeOff {
		c.nextTimeOff = t.id + 1
	}
}

func (c *company) removeTimeOff(id int) bool {
	t, ok := c.timeOffByID[id]
	if !ok {
		return false
	}
	delete(c.timeOffByID, id)
	t.deleted = true
	c.deletedTOs++
	if c.deletedTOs > 64 && c.deletedTOs > len(c.timeOffs)/4 {
		c.timeOffs = slices.DeleteFunc(c.timeOffs, func(t *timeOff) bool { return t.deleted })
		c.deletedTOs = 0
	}
	return true
}

func (c *company) timeOffTypeIndex(id int) int {
	for i, t := range c.timeOffTypes {
		if t.id == id {
			return i
		}
	}
	return none
}

// unitIndex finds an org unit by case-insensitive name, creating it when
// create is set (the control API may introduce new teams or departments).
func unitIndex(units *[]orgUnit, name string, nextID int, create bool) int {
	for i, u := range *units {
		if strings.EqualFold(u.name, name) {
			return i
		}
	}
	if !create {
		return none
	}
	maxID := nextID
	for _, u := range *units {
		if u.id >= maxID {
			maxID = u.id + 1
		}
	}
	*units = append(*units, orgUnit{id: maxID, name: name})
	return len(*units) - 1
}

func officeIndex(offices *[]officeInfo, name string) int {
	for i, o := range *offices {
		if strings.EqualFold(o.name, name) {
			return i
		}
	}
	maxID := 131014
	for _, o := range *offices {
		if o.id >= maxID {
			maxID = o.id + 1
		}
	}
	*offices = append(*offices, officeInfo{orgUnit: orgUnit{id: maxID, name: name}, country: "DE", state: "Berlin",
		calendar: "Deutschland (Berlin) Feiertage", calendarID: 3, ibanCountry: "DE"})
	return len(*offices) - 1
}
