package sandbox

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Errors returned by the Go control API (and mapped to statuses by the HTTP
// control API).
var (
	ErrEmployeeNotFound    = errors.New("employee not found")
	ErrTimeOffNotFound     = errors.New("time-off not found")
	ErrTimeOffTypeNotFound = errors.New("time-off type not found")
	ErrAttendanceNotFound  = errors.New("attendance period not found")
	ErrInvalid             = errors.New("invalid input")
	ErrOverlap             = errors.New("overlaps an existing time-off")
)

// Ptr returns a pointer to v, for the optional fields of EmployeeInput.
func Ptr[T any](v T) *T { return &v }

// CostCenterShare assigns a share of an employee to a cost center.
type CostCenterShare struct {
	Name       string  `json:"name"`
	Percentage float64 `json:"percentage"`
}

// Employee is a snapshot of a sandbox employee in control-API form.
type Employee struct {
	ID                 int               `json:"id"`
	FirstName          string            `json:"first_name"`
	LastName           string            `json:"last_name"`
	PreferredName      string            `json:"preferred_name"`
	Email              string            `json:"email"`
	Gender             string            `json:"gender"`
	Status             string            `json:"status"`
	Position           string            `json:"position"`
	SupervisorID       *int              `json:"supervisor_id"`
	EmploymentType     string            `json:"employment_type"`
	WeeklyWorkingHours string            `json:"weekly_working_hours"`
	HireDate           string            `json:"hire_date"`
	ProbationPeriodEnd string            `json:"probation_period_end,omitempty"`
	ContractEndDate    string            `json:"contract_end_date,omitempty"`
	LastWorkingDay     string            `json:"last_working_day,omitempty"`
	TerminationDate    string            `json:"termination_date,omitempty"`
	TerminationType    string            `json:"termination_type,omitempty"`
	TerminationReason  string            `json:"termination_reason,omitempty"`
	Team               string            `json:"team,omitempty"`
	Department         string            `json:"department,omitempty"`
	Office             string            `json:"office,omitempty"`
	Subcompany         string            `json:"subcompany,omitempty"`
	CostCenters        []CostCenterShare `json:"cost_centers"`
	IBAN               string            `json:"iban,omitempty"`
	BIC                string            `json:"bic,omitempty"`
	AccountHolder      string            `json:"account_holder,omitempty"`
	HasProfilePicture  bool              `json:"has_profile_picture"`
	CreatedAt          time.Time         `json:"created_at"`
	LastModifiedAt     time.Time         `json:"last_modified_at"`
}

// EmployeeInput carries the fields of a hire or an update; nil fields are
// left unchanged (hire: defaulted). FirstName and LastName are required to
// hire. SupervisorID 0 removes the supervisor. Unknown team, department,
// office, subcompany and cost-center names are created.
type EmployeeInput struct {
	FirstName          *string           `json:"first_name,omitempty"`
	LastName           *string           `json:"last_name,omitempty"`
	PreferredName      *string           `json:"preferred_name,omitempty"`
	Email              *string           `json:"email,omitempty"`
	Gender             *string           `json:"gender,omitempty"`
	Team               *string           `json:"team,omitempty"`
	Department         *string           `json:"department,omitempty"`
	Office             *string           `json:"office,omitempty"`
	Subcompany         *string           `json:"subcompany,omitempty"`
	Position           *string           `json:"position,omitempty"`
	SupervisorID       *int              `json:"supervisor_id,omitempty"`
	HireDate           *string           `json:"hire_date,omitempty"`
	Status             *string           `json:"status,omitempty"`
	EmploymentType     *string           `json:"employment_type,omitempty"`
	CostCenters        []CostCenterShare `json:"cost_centers,omitempty"`
	WeeklyWorkingHours *Hours            `json:"weekly_working_hours,omitempty"`
	IBAN               *string           `json:"iban,omitempty"`
	BIC                *string           `json:"bic,omitempty"`
	AccountHolder      *string           `json:"account_holder,omitempty"`
}

// Hours is a weekly working time; JSON accepts 40, 38.5 or "38.5".
type Hours string

// UnmarshalJSON accepts a number or a string.
func (h *Hours) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if _, err := parseWeeklyHours(s); err != nil {
		return err
	}
	*h = Hours(s)
	return nil
}

// Transfer moves an employee; nil fields are unchanged.
type Transfer struct {
	Team         *string `json:"team,omitempty"`
	Department   *string `json:"department,omitempty"`
	SupervisorID *int    `json:"supervisor_id,omitempty"`
}

// Termination ends an employment. Status defaults to "inactive" when the
// last working day has passed, else the employee stays active until then.
type Termination struct {
	LastWorkingDay  string `json:"last_working_day"`
	TerminationDate string `json:"termination_date,omitempty"`
	Status          string `json:"status,omitempty"`
	Type            string `json:"termination_type,omitempty"`
	Reason          string `json:"termination_reason,omitempty"`
}

// Rehire starts a new employment of a former employee.
type Rehire struct {
	HireDate string `json:"hire_date"`
}

// TimeOffInput creates a day-unit time-off.
type TimeOffInput struct {
	EmployeeID    int    `json:"employee_id"`
	TimeOffTypeID int    `json:"time_off_type_id"`
	StartDate     string `json:"start_date"`
	EndDate       string `json:"end_date"`
	HalfDayStart  bool   `json:"half_day_start"`
	HalfDayEnd    bool   `json:"half_day_end"`
	Status        string `json:"status,omitempty"`
	Comment       string `json:"comment,omitempty"`

	skipApproval *bool  // v1 POST only
	createdBy    string // v1 POST: "API"
}

// TimeOff is a snapshot of a time-off.
type TimeOff struct {
	ID            int       `json:"id"`
	EmployeeID    int       `json:"employee_id"`
	TimeOffTypeID int       `json:"time_off_type_id"`
	StartDate     string    `json:"start_date"`
	EndDate       string    `json:"end_date"`
	HalfDayStart  bool      `json:"half_day_start"`
	HalfDayEnd    bool      `json:"half_day_end"`
	DaysCount     float64   `json:"days_count"`
	Status        string    `json:"status"`
	Comment       string    `json:"comment"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// AttendancePeriod is a snapshot of a v2 attendance period. Start and End
// are Berlin wall-clock times without offset, as on the wire.
type AttendancePeriod struct {
	ID              string    `json:"id"`
	PersonID        int       `json:"person_id"`
	Type            string    `json:"type"`
	Start           string    `json:"start"`
	End             *string   `json:"end"`
	AttributionDate string    `json:"attribution_date"`
	Status          string    `json:"status"`
	ProjectID       *string   `json:"project_id"`
	Comment         string    `json:"comment"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// ---- read side ---------------------------------------------------------

func (s *Server) snapshot(e *employee) Employee {
	c := s.data
	out := Employee{
		ID: e.id, FirstName: e.firstName, LastName: e.lastName, PreferredName: e.preferredName,
		Email: e.email, Gender: e.gender, Status: e.status, Position: e.position,
		EmploymentType: "internal", WeeklyWorkingHours: formatWeeklyHours(e.weeklyTenths),
		HireDate: e.hireDate.String(), ProbationPeriodEnd: e.probationEnd.String(),
		ContractEndDate: e.contractEndDate.String(), LastWorkingDay: e.lastWorkingDay.String(),
		TerminationDate: e.terminationDate.String(), TerminationType: e.terminationType,
		TerminationReason: e.terminationReason, CostCenters: []CostCenterShare{},
		IBAN: e.iban, BIC: e.bic, AccountHolder: e.holder, HasProfilePicture: e.hasPicture,
		CreatedAt: time.Unix(e.createdAt, 0).UTC(), LastModifiedAt: time.Unix(e.lastModified, 0).UTC(),
	}
	if e.supervisorID != 0 {
		out.SupervisorID = Ptr(e.supervisorID)
	}
	if e.external {
		out.EmploymentType = "external"
	}
	if e.team >= 0 && int(e.team) < len(c.teams) {
		out.Team = c.teams[e.team].name
	}
	if e.department >= 0 && int(e.department) < len(c.departments) {
		out.Department = c.departments[e.department].name
	}
	if e.office >= 0 && int(e.office) < len(c.offices) {
		out.Office = c.offices[e.office].name
	}
	if e.subcompany >= 0 && int(e.subcompany) < len(c.subcompanies) {
		out.Subcompany = c.subcompanies[e.subcompany].name
	}
	for _, sh := range e.costCenters {
		out.CostCenters = append(out.CostCenters, CostCenterShare{Name: c.costCenters[sh.unit].name, Percentage: float64(sh.percentage)})
	}
	return out
}

// Employee returns the employee with the id.
func (s *Server) Employee(id int) (Employee, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.data.employee(id)
	if e == nil {
		return Employee{}, false
	}
	return s.snapshot(e), true
}

// Employees returns all employees ordered by id.
func (s *Server) Employees() []Employee {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Employee, 0, len(s.data.employees))
	for _, e := range s.data.employees {
		out = append(out, s.snapshot(e))
	}
	return out
}

// EmployeeCount returns the number of employees.
func (s *Server) EmployeeCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.data.employees)
}

func timeOffSnapshot(t *timeOff, c *company) TimeOff {
	return TimeOff{
		ID: t.id, EmployeeID: t.employeeID, TimeOffTypeID: c.timeOffTypes[t.typeIdx].id,
		StartDate: t.startDate.String(), EndDate: t.endDate.String(),
		HalfDayStart: t.halfDayStart, HalfDayEnd: t.halfDayEnd, DaysCount: t.daysCount,
		Status: t.status, Comment: t.comment, CreatedBy: t.createdBy,
		CreatedAt: time.Unix(t.createdAt, 0).UTC(), UpdatedAt: time.Unix(t.updatedAt, 0).UTC(),
	}
}

// TimeOffs returns the time-offs of an employee (all when employeeID is 0).
func (s *Server) TimeOffs(employeeID int) []TimeOff {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []TimeOff
	for _, t := range s.data.timeOffs {
		if !t.deleted && (employeeID == 0 || t.employeeID == employeeID) {
			out = append(out, timeOffSnapshot(t, s.data))
		}
	}
	return out
}

// TimeOffCount returns the number of time-offs.
func (s *Server) TimeOffCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.data.timeOffByID)
}

func wallString(sec int64) string {
	return time.Unix(sec, 0).UTC().Format("2006-01-02T15:04:05")
}

func attendanceSnapshot(p *attendancePeriod) AttendancePeriod {
	out := AttendancePeriod{
		ID: p.id, PersonID: p.personID, Type: p.kind, Start: wallString(p.start),
		AttributionDate: p.attribution.String(), Status: p.status, Comment: p.comment,
		CreatedAt: time.Unix(p.createdAt, 0).UTC(), UpdatedAt: time.Unix(p.updatedAt, 0).UTC(),
	}
	if p.hasEnd {
		out.End = Ptr(wallString(p.end))
	}
	if p.projectID != "" {
		out.ProjectID = Ptr(p.projectID)
	}
	return out
}

// AttendancePeriods returns every attendance period in default sort order.
func (s *Server) AttendancePeriods() []AttendancePeriod {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ps := slices.Clone(s.data.attendance)
	sortAttendance(ps, defaultAttendanceSort())
	out := make([]AttendancePeriod, len(ps))
	for i, p := range ps {
		out[i] = attendanceSnapshot(p)
	}
	return out
}

// TimeOffTypeIDs returns the ids of the day-unit time-off types.
func (s *Server) TimeOffTypeIDs() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]int{}
	for _, t := range s.data.timeOffTypes {
		if t.unit == "day" {
			out[t.name] = t.id
		}
	}
	return out
}

// ---- write side --------------------------------------------------------

func validStatus(s string) bool {
	switch s {
	case "active", "onboarding", "leave", "inactive":
		return true
	}
	return false
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// apply copies input fields onto e and returns the changed attribute keys.
func (s *Server) apply(e *employee, in EmployeeInput, today civil) ([]string, error) {
	c := s.data
	var changed []string
	setStr := func(dst *string, v *string, key string) {
		if v != nil && *dst != *v {
			*dst = *v
			changed = append(changed, key)
		}
	}
	if in.FirstName != nil && strings.TrimSpace(*in.FirstName) == "" || in.LastName != nil && strings.TrimSpace(*in.LastName) == "" {
		return nil, invalid("first_name and last_name must not be empty")
	}
	setStr(&e.firstName, in.FirstName, "first_name")
	setStr(&e.lastName, in.LastName, "last_name")
	setStr(&e.preferredName, in.PreferredName, "preferred_name")
	setStr(&e.email, in.Email, "email")
	setStr(&e.gender, in.Gender, "gender")
	setStr(&e.position, in.Position, "position")
	setStr(&e.iban, in.IBAN, IBANAttribute)
	setStr(&e.bic, in.BIC, BICAttribute)
	setStr(&e.holder, in.AccountHolder, AccountHolderAttribute)
	if in.IBAN != nil && *in.IBAN != "" && !validIBAN(*in.IBAN) {
		return nil, invalid("iban %q has an invalid checksum", *in.IBAN)
	}
	setUnit := func(dst *int16, units *[]orgUnit, name *string, key string, firstID int) {
		if name == nil {
			return
		}
		idx := int16(none)
		if *name != "" {
			idx = int16(unitIndex(units, *name, firstID, true))
		}
		if *dst != idx {
			*dst = idx
			changed = append(changed, key)
		}
	}
	setUnit(&e.team, &c.teams, in.Team, "team", 59026)
	setUnit(&e.department, &c.departments, in.Department, "department", 281521)
	setUnit(&e.subcompany, &c.subcompanies, in.Subcompany, "subcompany", 7033)
	if in.Office != nil {
		idx := int16(none)
		if *in.Office != "" {
			idx = int16(officeIndex(&c.offices, *in.Office))
		}
		if e.office != idx {
			e.office = idx
			changed = append(changed, "office", "holiday_calendar")
		}
	}
	if in.SupervisorID != nil {
		sup := *in.SupervisorID
		if sup != 0 {
			if sup == e.id {
				return nil, invalid("an employee cannot supervise themselves")
			}
			if c.employee(sup) == nil {
				return nil, fmt.Errorf("supervisor %d: %w", sup, ErrEmployeeNotFound)
			}
			for cur := c.employee(sup); cur != nil && cur.supervisorID != 0; cur = c.employee(cur.supervisorID) {
				if cur.supervisorID == e.id {
					return nil, invalid("supervisor %d would create a cycle", sup)
				}
			}
		}
		if e.supervisorID != sup {
			e.supervisorID = sup
			changed = append(changed, "supervisor")
		}
	}
	if in.HireDate != nil {
		d, err := parseCivil(*in.HireDate)
		if err != nil {
			return nil, invalid("hire_date: %v", err)
		}
		if e.hireDate != d {
			e.hireDate = d
			changed = append(changed, "hire_date")
		}
	}
	if in.Status != nil {
		if !validStatus(*in.Status) {
			return nil, invalid("status must be one of onboarding, active, leave, inactive")
		}
		setStr(&e.status, in.Status, "status")
	}
	if in.EmploymentType != nil {
		switch *in.EmploymentType {
		case "internal", "external":
		default:
			return nil, invalid("employment_type must be internal or external")
		}
		if ext := *in.EmploymentType == "external"; e.external != ext {
			e.external = ext
			changed = append(changed, "employment_type")
		}
	}
	if in.WeeklyWorkingHours != nil {
		tenths, err := parseWeeklyHours(string(*in.WeeklyWorkingHours))
		if err != nil {
			return nil, invalid("%v", err)
		}
		if e.weeklyTenths != tenths {
			e.weeklyTenths = tenths
			changed = append(changed, "weekly_working_hours", "work_schedule")
		}
	}
	if in.CostCenters != nil {
		var shares []share
		total := 0.0
		for _, cc := range in.CostCenters {
			if cc.Name == "" || cc.Percentage <= 0 || cc.Percentage > 100 {
				return nil, invalid("cost center needs a name and a percentage in (0, 100]")
			}
			total += cc.Percentage
			idx := unitIndex(&c.costCenters, cc.Name, 82957, true)
			shares = append(shares, share{unit: int16(idx), percentage: int16(math.Round(cc.Percentage))})
		}
		if len(shares) > 0 && math.Abs(total-100) > 0.01 {
			return nil, invalid("cost center percentages must add up to 100, got %g", total)
		}
		if !slices.Equal(shares, e.costCenters) {
			e.costCenters = shares
			changed = append(changed, "cost_centers")
		}
	}
	return changed, nil
}

// Hire adds an employee and returns it. Defaults: hire date today, status
// from the hire date, internal, 40 hours, the department's cost center.
func (s *Server) Hire(in EmployeeInput) (Employee, error) {
	if in.FirstName == nil || in.LastName == nil {
		return Employee{}, invalid("first_name and last_name are required")
	}
	now := s.now()
	today := civilOf(berlinLocal(now))
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.data
	e := &employee{
		id: c.nextEmpID, status: "active", weeklyTenths: 400, hireDate: today,
		subcompany: 0, office: 0, department: none, team: none, vacation: 30, colonOffsets: true,
		hasPicture: true, createdAt: now.Unix(), gender: "",
	}
	if _, err := s.apply(e, in, today); err != nil {
		return Employee{}, err
	}
	if in.Status == nil && e.hireDate > today {
		e.status = "onboarding"
	}
	if in.CostCenters == nil && e.department >= 0 && int(e.department) < len(departmentSpecs()) {
		e.costCenters = []share{{unit: e.department, percentage: 100}}
	}
	if !e.external {
		e.probationEnd = e.hireDate.addDays(182)
	}
	if in.AccountHolder == nil && e.iban != "" {
		e.holder = e.fullName()
	}
	e.fixSalary = 4000
	if e.external {
		e.fixSalary, e.hourlySalary = 0, 80
	}
	e.baseModified, e.lastModified = now.Unix(), now.Unix()
	c.addEmployee(e)
	s.log.Info("sandbox: employee hired", "id", e.id)
	return s.snapshot(e), nil
}

// Update changes the given fields of an employee.
func (s *Server) Update(id int, in EmployeeInput) (Employee, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.data.employee(id)
	if e == nil {
		return Employee{}, ErrEmployeeNotFound
	}
	// Work on a copy so a failed validation leaves the record untouched.
	cp := *e
	cp.changes = slices.Clone(e.changes)
	cp.costCenters = slices.Clone(e.costCenters)
	changed, err := s.apply(&cp, in, civilOf(berlinLocal(now)))
	if err != nil {
		return Employee{}, err
	}
	*e = cp
	if len(changed) > 0 {
		e.touch(now.Unix(), changed...)
	}
	return s.snapshot(e), nil
}

// Transfer moves an employee to another team, department or supervisor.
func (s *Server) Transfer(id int, t Transfer) (Employee, error) {
	return s.Update(id, EmployeeInput{Team: t.Team, Department: t.Department, SupervisorID: t.SupervisorID})
}

// Terminate records a termination.
func (s *Server) Terminate(id int, t Termination) (Employee, error) {
	lwd, err := parseCivil(t.LastWorkingDay)
	if err != nil {
		return Employee{}, invalid("last_working_day: %v", err)
	}
	term := monthEnd(lwd)
	if t.TerminationDate != "" {
		if term, err = parseCivil(t.TerminationDate); err != nil {
			return Employee{}, invalid("termination_date: %v", err)
		}
	}
	if t.Status != "" && !validStatus(t.Status) {
		return Employee{}, invalid("status must be one of onboarding, active, leave, inactive")
	}
	now := s.now()
	today := civilOf(berlinLocal(now))
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.data.employee(id)
	if e == nil {
		return Employee{}, ErrEmployeeNotFound
	}
	if lwd < e.hireDate {
		return Employee{}, invalid("last_working_day is before the hire date")
	}
	status := t.Status
	if status == "" {
		status = e.status
		if lwd < today {
			status = "inactive"
		}
	}
	kind := t.Type
	if kind == "" {
		kind = "Resignation by employee"
	}
	e.lastWorkingDay, e.terminationDate, e.status = lwd, term, status
	e.terminationType, e.terminationReason = kind, t.Reason
	e.touch(now.Unix(), "last_working_day", "termination_date", "termination_type", "termination_reason", "status")
	return s.snapshot(e), nil
}

// Rehire starts a new employment: termination fields are cleared and the
// status follows the new hire date.
func (s *Server) Rehire(id int, r Rehire) (Employee, error) {
	hire, err := parseCivil(r.HireDate)
	if err != nil {
		return Employee{}, invalid("hire_date: %v", err)
	}
	now := s.now()
	today := civilOf(berlinLocal(now))
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.data.employee(id)
	if e == nil {
		return Employee{}, ErrEmployeeNotFound
	}
	e.hireDate = hire
	e.lastWorkingDay, e.terminationDate = 0, 0
	e.terminationType, e.terminationReason = "", ""
	e.status = "active"
	if hire > today {
		e.status = "onboarding"
	}
	if !e.external {
		e.probationEnd = hire.addDays(182)
	}
	e.touch(now.Unix(), "hire_date", "last_working_day", "termination_date", "termination_type",
		"termination_reason", "status", "probation_period_end")
	return s.snapshot(e), nil
}

// Delete removes an employee from the company (and from Personio's API)
// together with their time-offs and attendance periods. Direct reports lose
// their supervisor.
func (s *Server) Delete(id int) error {
	now := s.now().Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.data
	if !c.removeEmployee(id) {
		return ErrEmployeeNotFound
	}
	for _, e := range c.employees {
		if e.supervisorID == id {
			e.supervisorID = 0
			e.touch(now, "supervisor")
		}
	}
	for _, t := range c.timeOffs {
		if t.employeeID == id && !t.deleted {
			c.removeTimeOff(t.id)
		}
	}
	c.attendance = slices.DeleteFunc(c.attendance, func(p *attendancePeriod) bool {
		if p.personID == id {
			delete(c.attendanceBy, p.id)
			return true
		}
		return false
	})
	return nil
}

// AddTimeOff creates a day-unit time-off.
func (s *Server) AddTimeOff(in TimeOffInput) (TimeOff, error) {
	start, err := parseCivil(in.StartDate)
	if err != nil {
		return TimeOff{}, invalid("start_date: %v", err)
	}
	end, err := parseCivil(in.EndDate)
	if err != nil {
		return TimeOff{}, invalid("end_date: %v", err)
	}
	if end < start {
		return TimeOff{}, invalid("end_date is before start_date")
	}
	status := in.Status
	switch status {
	case "":
		status = "approved"
	case "approved", "pending", "rejected", "canceled":
	default:
		return TimeOff{}, invalid("status must be approved, pending, rejected or canceled")
	}
	now := s.now().Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.data
	if c.employee(in.EmployeeID) == nil {
		return TimeOff{}, ErrEmployeeNotFound
	}
	ti := c.timeOffTypeIndex(in.TimeOffTypeID)
	if ti == none {
		return TimeOff{}, ErrTimeOffTypeNotFound
	}
	typ := c.timeOffTypes[ti]
	if typ.unit != "day" {
		return TimeOff{}, invalid("time-off type %d is measured in hours; use absence periods", typ.id)
	}
	if in.skipApproval != nil && !*in.skipApproval && typ.approvalRequired {
		status = "pending"
	}
	for _, t := range c.timeOffs {
		if !t.deleted && t.employeeID == in.EmployeeID && t.status != "rejected" && t.status != "canceled" &&
			t.startDate <= end && t.endDate >= start {
			return TimeOff{}, fmt.Errorf("%w: time-off %d", ErrOverlap, t.id)
		}
	}
	createdBy := in.createdBy
	if createdBy == "" {
		createdBy = c.employee(in.EmployeeID).fullName()
	}
	t := &timeOff{
		id: c.nextTimeOff, employeeID: in.EmployeeID, typeIdx: ti, startDate: start, endDate: end,
		halfDayStart: in.HalfDayStart, halfDayEnd: in.HalfDayEnd, status: status, comment: in.Comment,
		createdBy: createdBy, daysCount: daysCount(start, end, in.HalfDayStart, in.HalfDayEnd),
		createdAt: now, updatedAt: now,
	}
	c.addTimeOff(t)
	return timeOffSnapshot(t, c), nil
}

// DeleteTimeOff removes a time-off.
func (s *Server) DeleteTimeOff(id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.data.removeTimeOff(id) {
		return ErrTimeOffNotFound
	}
	return nil
}

// Reset regenerates the company from the seed (tokens, faults and stats are
// kept).
func (s *Server) Reset() {
	c := generate(s.opts.Seed, s.opts.Employees, s.now())
	breakRecords(c, s.opts.Seed, s.opts.BrokenRate)
	s.mu.Lock()
	s.data = c
	s.mu.Unlock()
	s.log.Info("sandbox: company regenerated", "employees", s.opts.Employees, "seed", s.opts.Seed)
}
