package sandbox

import (
	"strconv"
)

// encCtx carries what attribute writers need besides the employee.
type encCtx struct {
	c       *company
	baseURL string
}

// attrDef describes one employee attribute: its wire metadata and how its
// value is written. prefix and suffix are pre-rendered JSON.
type attrDef struct {
	key, label, typ, universalID string
	dynamic                      bool
	currency                     bool
	write                        func(b []byte, e *employee, x *encCtx) []byte
	prefix, suffix               []byte
}

func stringAttr(get func(e *employee) string) func([]byte, *employee, *encCtx) []byte {
	return func(b []byte, e *employee, _ *encCtx) []byte { return appendString(b, get(e)) }
}

// dateAttr writes a date as midnight Berlin time with offset, or null.
func dateAttr(get func(e *employee) civil) func([]byte, *employee, *encCtx) []byte {
	return func(b []byte, e *employee, _ *encCtx) []byte {
		d := get(e)
		if !d.valid() {
			return append(b, "null"...)
		}
		b = append(b, '"')
		b = appendDateMidnight(b, d, offsetStyle(e.colonOffsets))
		return append(b, '"')
	}
}

func timestampAttr(get func(e *employee) int64) func([]byte, *employee, *encCtx) []byte {
	return func(b []byte, e *employee, _ *encCtx) []byte {
		b = append(b, '"')
		b = appendTimestamp(b, get(e), offsetStyle(e.colonOffsets))
		return append(b, '"')
	}
}

// unitValue writes {"type":T,"attributes":{"id":..,"name":..}}.
func appendUnit(b []byte, typ string, u orgUnit) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","attributes":{"id":`...)
	b = appendInt(b, u.id)
	b = append(b, `,"name":`...)
	b = appendString(b, u.name)
	return append(b, "}}"...)
}

func unitAttr(typ string, units func(c *company) []orgUnit, idx func(e *employee) int16) func([]byte, *employee, *encCtx) []byte {
	return func(b []byte, e *employee, x *encCtx) []byte {
		i := idx(e)
		us := units(x.c)
		if i < 0 || int(i) >= len(us) {
			// [inf] empty relations are served as null (NOTES.md §13).
			return append(b, "null"...)
		}
		return appendUnit(b, typ, us[i])
	}
}

// appendLabelled writes {"label":..,"value":<v>,"type":..,"universal_id":..}.
func appendLabelled(b []byte, label, typ, uid string, value func(b []byte) []byte) []byte {
	b = append(b, `{"label":`...)
	b = appendString(b, label)
	b = append(b, `,"value":`...)
	b = value(b)
	b = append(b, `,"type":"`...)
	b = append(b, typ...)
	b = append(b, `","universal_id":"`...)
	b = append(b, uid...)
	return append(b, `"}`...)
}

// appendShortEmployee writes Personio's nested employee object (supervisor,
// time-off employee): id, first_name, last_name, email as labelled values.
func appendShortEmployee(b []byte, e *employee, idLabel string) []byte {
	b = append(b, `{"type":"Employee","attributes":{"id":`...)
	b = appendLabelled(b, idLabel, "integer", "id", func(b []byte) []byte { return appendInt(b, e.id) })
	b = append(b, `,"first_name":`...)
	b = appendLabelled(b, "First name", "standard", "first_name", func(b []byte) []byte { return appendString(b, e.firstName) })
	b = append(b, `,"last_name":`...)
	b = appendLabelled(b, "Last name", "standard", "last_name", func(b []byte) []byte { return appendString(b, e.lastName) })
	b = append(b, `,"email":`...)
	b = appendLabelled(b, "Email", "standard", "email", func(b []byte) []byte { return appendString(b, e.email) })
	return append(b, "}}"...)
}

func workScheduleName(tenths int) string {
	h := formatWeeklyHours(tenths)
	if tenths >= 380 {
		return "Full-time, " + h + " hours without time tracking, (mon,tue,wed,thu,fri)"
	}
	return "Part-time, " + h + " hours without time tracking, (mon,tue,wed,thu,fri)"
}

func dailyHHMM(tenths int) string {
	minutes := tenths * 6 / 5 // tenths/10 hours × 60 / 5 days
	return twoDigits(minutes/60) + ":" + twoDigits(minutes%60)
}

// employeeAttributes lists the attributes in the order Personio serves them.
func employeeAttributes() []attrDef {
	attrs := []attrDef{
		{key: "id", label: "ID", typ: "integer", write: func(b []byte, e *employee, _ *encCtx) []byte { return appendInt(b, e.id) }},
		{key: "first_name", label: "First name", write: stringAttr(func(e *employee) string { return e.firstName })},
		{key: "last_name", label: "Last name", write: stringAttr(func(e *employee) string { return e.lastName })},
		{key: "preferred_name", label: "Name (preferred)", write: stringAttr(func(e *employee) string { return e.preferredName })},
		{key: "email", label: "Email", write: stringAttr(func(e *employee) string { return e.email })},
		{key: "gender", label: "Gender", write: stringAttr(func(e *employee) string { return e.gender })},
		{key: "status", label: "Status", write: stringAttr(func(e *employee) string { return e.status })},
		{key: "position", label: "Position", write: stringAttr(func(e *employee) string { return e.position })},
		{key: "supervisor", label: "Supervisor", write: func(b []byte, e *employee, x *encCtx) []byte {
			sup := x.c.byID[e.supervisorID]
			if sup == nil && e.defect == BrokenUnknownSupervisor {
				return appendShortEmployee(b, &employee{id: e.supervisorID}, "ID")
			}
			if e.supervisorID == 0 || sup == nil {
				// [inf] no supervisor is most likely served as null (NOTES.md §13).
				return append(b, "null"...)
			}
			return appendShortEmployee(b, sup, "ID")
		}},
		{key: "employment_type", label: "Employment type", write: func(b []byte, e *employee, _ *encCtx) []byte {
			if e.external {
				return append(b, `"external"`...)
			}
			return append(b, `"internal"`...)
		}},
		// weekly_working_hours is a string on the wire (NOTES.md §11.9).
		{key: "weekly_working_hours", label: "Weekly hours", write: func(b []byte, e *employee, x *encCtx) []byte {
			if e.defect == BrokenWrongType {
				return append(b, `{"hours":`+formatWeeklyHours(e.weeklyTenths)+`}`...)
			}
			return stringAttr(func(e *employee) string { return formatWeeklyHours(e.weeklyTenths) })(b, e, x)
		}},
		{key: "hire_date", label: "Hire date", typ: "date", write: func(b []byte, e *employee, x *encCtx) []byte {
			if e.defect == BrokenInvalidDate {
				return append(append(strconv.AppendInt(append(b, '"'), int64(e.hireDate.time().Year()), 10), "-02-30T00:00:00+01:00"...), '"')
			}
			return dateAttr(func(e *employee) civil { return e.hireDate })(b, e, x)
		}},
		{key: "contract_end_date", label: "Contract ends", typ: "date", write: dateAttr(func(e *employee) civil { return e.contractEndDate })},
		{key: "termination_date", label: "Termination date", typ: "date", write: dateAttr(func(e *employee) civil { return e.terminationDate })},
		// Empty strings instead of null, as the live API does (NOTES.md §11.9).
		{key: "termination_type", label: "Termination type", write: stringAttr(func(e *employee) string { return e.terminationType })},
		{key: "termination_reason", label: "Termination reason", write: stringAttr(func(e *employee) string { return e.terminationReason })},
		{key: "probation_period_end", label: "Probation period end", typ: "date", write: dateAttr(func(e *employee) civil { return e.probationEnd })},
		{key: "created_at", label: "created_at", typ: "date", write: timestampAttr(func(e *employee) int64 { return e.createdAt })},
		{key: "last_modified_at", label: "Last modified", typ: "date", write: timestampAttr(func(e *employee) int64 { return e.lastModified })},
		{key: "subcompany", label: "Subcompany", write: unitAttr("Subcompany", func(c *company) []orgUnit { return c.subcompanies }, func(e *employee) int16 { return e.subcompany })},
		{key: "office", label: "Office", write: func(b []byte, e *employee, x *encCtx) []byte {
			if e.office < 0 || int(e.office) >= len(x.c.offices) {
				return append(b, "null"...)
			}
			return appendUnit(b, "Office", x.c.offices[e.office].orgUnit)
		}},
		{key: "department", label: "Department", write: unitAttr("Department", func(c *company) []orgUnit { return c.departments }, func(e *employee) int16 { return e.department })},
		{key: "cost_centers", label: "Cost center", write: func(b []byte, e *employee, x *encCtx) []byte {
			b = append(b, '[')
			for i, s := range e.costCenters {
				if i > 0 {
					b = append(b, ',')
				}
				u := x.c.costCenters[s.unit]
				b = append(b, `{"type":"CostCenter","attributes":{"id":`...)
				b = appendInt(b, u.id)
				b = append(b, `,"name":`...)
				b = appendString(b, u.name)
				b = append(b, `,"percentage":`...)
				b = appendInt(b, int(s.percentage))
				b = append(b, "}}"...)
			}
			return append(b, ']')
		}},
		{key: "holiday_calendar", label: "Public holidays", write: func(b []byte, e *employee, x *encCtx) []byte {
			if e.office < 0 || int(e.office) >= len(x.c.offices) {
				return append(b, "null"...)
			}
			o := x.c.offices[e.office]
			b = append(b, `{"type":"HolidayCalendar","attributes":{"id":`...)
			b = appendInt(b, o.calendarID)
			b = append(b, `,"name":`...)
			b = appendString(b, o.calendar)
			b = append(b, `,"country":`...)
			b = appendString(b, o.country)
			b = append(b, `,"state":`...)
			b = appendString(b, o.state)
			return append(b, "}}"...)
		}},
		{key: "absence_entitlement", label: "Absence entitlement", write: func(b []byte, e *employee, _ *encCtx) []byte {
			b = append(b, `[{"type":"TimeOffType","attributes":{"id":`...)
			b = appendInt(b, typePaidVacation)
			b = append(b, `,"name":"Paid vacation","category":"paid_vacation","entitlement":`...)
			b = appendInt(b, int(e.vacation))
			return append(b, "}}]"...)
		}},
		{key: "work_schedule", label: "Work schedule", write: func(b []byte, e *employee, _ *encCtx) []byte {
			day := dailyHHMM(e.weeklyTenths)
			b = append(b, `{"type":"WorkSchedule","attributes":{"id":`...)
			b = appendInt(b, 97000+e.weeklyTenths)
			b = append(b, `,"name":`...)
			b = appendString(b, workScheduleName(e.weeklyTenths))
			b = append(b, `,"valid_from":null`...)
			for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
				b = append(b, `,"`...)
				b = append(b, d...)
				b = append(b, `":"`...)
				b = append(b, day...)
				b = append(b, '"')
			}
			return append(b, `,"saturday":"00:00","sunday":"00:00"}}`...)
		}},
		{key: "fix_salary", label: "Fix salary", typ: "decimal", currency: true, write: func(b []byte, e *employee, _ *encCtx) []byte { return appendInt(b, e.fixSalary) }},
		{key: "fix_salary_interval", label: "Salary interval", write: func(b []byte, e *employee, _ *encCtx) []byte {
			if e.external {
				return append(b, `""`...)
			}
			return append(b, `"monthly"`...)
		}},
		{key: "hourly_salary", label: "Hourly salary", typ: "decimal", currency: true, write: func(b []byte, e *employee, _ *encCtx) []byte { return appendInt(b, e.hourlySalary) }},
		{key: "last_working_day", label: "Last day of work", typ: "date", write: dateAttr(func(e *employee) civil { return e.lastWorkingDay })},
		{key: "profile_picture", label: "Profile Picture", write: func(b []byte, e *employee, x *encCtx) []byte {
			if !e.hasPicture {
				return append(b, "null"...)
			}
			return appendString(b, x.baseURL+"/v1/company/employees/"+strconv.Itoa(e.id)+"/profile-picture")
		}},
		{key: "team", label: "Team", write: unitAttr("Team", func(c *company) []orgUnit { return c.teams }, func(e *employee) int16 { return e.team })},
		{key: TitleAttribute, label: "Titel", dynamic: true, write: stringAttr(func(e *employee) string { return e.title })},
		{key: IBANAttribute, label: "IBAN", universalID: "iban", dynamic: true, write: stringAttr(func(e *employee) string { return e.iban })},
		// [inf] universal ids of BIC and account holder are not documented.
		{key: BICAttribute, label: "BIC", dynamic: true, write: stringAttr(func(e *employee) string { return e.bic })},
		{key: AccountHolderAttribute, label: "Account holder", dynamic: true, write: stringAttr(func(e *employee) string { return e.holder })},
	}
	for i := range attrs {
		a := &attrs[i]
		if a.typ == "" {
			a.typ = "standard"
		}
		if a.universalID == "" && !a.dynamic {
			a.universalID = a.key
		}
		a.prefix = appendKey(nil, a.key)
		a.prefix = append(a.prefix, `{"label":`...)
		a.prefix = appendString(a.prefix, a.label)
		a.prefix = append(a.prefix, `,"value":`...)
		uid := []byte("null")
		if a.universalID != "" {
			uid = appendString(nil, a.universalID)
		}
		// Custom attributes list universal_id before type, as in the spec.
		if a.dynamic {
			a.suffix = append(append([]byte(`,"universal_id":`), uid...), `,"type":"`...)
			a.suffix = append(append(a.suffix, a.typ...), `"}`...)
			continue
		}
		a.suffix = append([]byte(`,"type":"`), a.typ...)
		a.suffix = append(a.suffix, `","universal_id":`...)
		a.suffix = append(a.suffix, uid...)
		if a.currency {
			a.suffix = append(a.suffix, `,"currency":"EUR"`...)
		}
		a.suffix = append(a.suffix, '}')
	}
	return attrs
}

// appendEmployee writes {"type":"Employee","attributes":{...}} with the
// attributes selected by mask (nil = all).
func (s *Server) appendEmployee(b []byte, e *employee, x *encCtx, mask []bool) []byte {
	b = append(b, `{"type":"Employee","attributes":{`...)
	first := true
	for i := range s.attrs {
		if mask != nil && !mask[i] {
			continue
		}
		a := &s.attrs[i]
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, a.prefix...)
		b = a.write(b, e, x)
		b = append(b, a.suffix...)
	}
	return append(b, "}}"...)
}
