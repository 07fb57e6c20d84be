package personio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rosterhq/roster/internal/hris"
)

// Employee pages are decoded token by token from the response body with a
// streaming JSON decoder: no page is buffered whole, attributes that are not
// needed are skipped without allocating, and repeated strings (labels,
// department names, statuses) are shared. Only broken JSON fails a page; a
// value of an unexpected type becomes a warning on its record.

// field identifies a standard employee attribute with a typed field.
type field uint8

const (
	fCustom field = iota
	fID
	fFirstName
	fLastName
	fPreferredName
	fEmail
	fGender
	fStatus
	fPosition
	fEmploymentType
	fSupervisor
	fWeeklyHours
	fHireDate
	fContractEndDate
	fTerminationDate
	fTerminationType
	fTerminationReason
	fProbationEnd
	fCreatedAt
	fLastModifiedAt
	fSubcompany
	fOffice
	fDepartment
	fTeam
	fCostCenters
	fLastWorkingDay
	fProfilePicture
	fieldCount
)

// fieldKeys are the Personio attribute keys of the fields, by field.
var fieldKeys = [fieldCount]string{
	fID: "id", fFirstName: "first_name", fLastName: "last_name", fPreferredName: "preferred_name",
	fEmail: "email", fGender: "gender", fStatus: "status", fPosition: "position",
	fEmploymentType: "employment_type", fSupervisor: "supervisor", fWeeklyHours: "weekly_working_hours",
	fHireDate: "hire_date", fContractEndDate: "contract_end_date", fTerminationDate: "termination_date",
	fTerminationType: "termination_type", fTerminationReason: "termination_reason",
	fProbationEnd: "probation_period_end", fCreatedAt: "created_at", fLastModifiedAt: "last_modified_at",
	fSubcompany: "subcompany", fOffice: "office", fDepartment: "department", fTeam: "team",
	fCostCenters: "cost_centers", fLastWorkingDay: "last_working_day", fProfilePicture: "profile_picture",
}

func fieldOf(key []byte) field {
	switch string(key) {
	case "id":
		return fID
	case "first_name":
		return fFirstName
	case "last_name":
		return fLastName
	case "preferred_name":
		return fPreferredName
	case "email":
		return fEmail
	case "gender":
		return fGender
	case "status":
		return fStatus
	case "position":
		return fPosition
	case "employment_type":
		return fEmploymentType
	case "supervisor":
		return fSupervisor
	case "weekly_working_hours":
		return fWeeklyHours
	case "hire_date":
		return fHireDate
	case "contract_end_date":
		return fContractEndDate
	case "termination_date":
		return fTerminationDate
	case "termination_type":
		return fTerminationType
	case "termination_reason":
		return fTerminationReason
	case "probation_period_end":
		return fProbationEnd
	case "created_at":
		return fCreatedAt
	case "last_modified_at":
		return fLastModifiedAt
	case "subcompany":
		return fSubcompany
	case "office":
		return fOffice
	case "department":
		return fDepartment
	case "team":
		return fTeam
	case "cost_centers":
		return fCostCenters
	case "last_working_day":
		return fLastWorkingDay
	case "profile_picture":
		return fProfilePicture
	}
	return fCustom
}

func fieldByKey(key string) (field, bool) {
	f := fieldOf([]byte(key))
	return f, f != fCustom
}

// fieldSet is a set of fields.
type fieldSet uint32

const allFields = fieldSet(1<<fieldCount-1) &^ 1

func (s fieldSet) has(f field) bool { return s&(1<<f) != 0 }

// expectedFields returns the fields a response should contain for a request
// of the given attributes (all standard fields when none are given).
func expectedFields(attrs []string) fieldSet {
	if len(attrs) == 0 {
		return allFields
	}
	s := fieldSet(1 << fID)
	for _, a := range attrs {
		if f, ok := fieldByKey(a); ok {
			s |= 1 << f
		}
	}
	return s
}

// pageMeta is the pagination metadata of a v1 list response.
type pageMeta struct {
	TotalElements int64
	CurrentPage   int64
	TotalPages    int64
	known         bool
}

// employeeDecoder decodes employee responses. One decoder serves the pages
// of one listing, so its string cache spans them; it is not safe for
// concurrent use.
type employeeDecoder struct {
	dec     *jsontext.Decoder
	loc     *time.Location
	expect  fieldSet
	scratch []byte
	strs    map[string]string
	zones   zones
}

func newEmployeeDecoder(loc *time.Location, expect fieldSet) *employeeDecoder {
	return &employeeDecoder{
		dec:    jsontext.NewDecoder(bytes.NewReader(nil)),
		loc:    loc,
		expect: expect,
		strs:   make(map[string]string, 256),
		zones:  make(zones, 4),
	}
}

var errNotSuccess = errors.New(`"success" is false`)

// decodePage reads a list response {"success":true,"metadata":…,"data":[…]}
// and appends its employees to page.
func (d *employeeDecoder) decodePage(r io.Reader, page []hris.Employee) ([]hris.Employee, pageMeta, error) {
	var meta pageMeta
	d.reset(r)
	err := d.envelope(func(name []byte) error {
		switch string(name) {
		case "data":
			if d.dec.PeekKind() == 'n' {
				return d.skip()
			}
			if err := d.expectToken('['); err != nil {
				return err
			}
			for d.dec.PeekKind() != ']' {
				var e hris.Employee
				if err := d.employee(&e); err != nil {
					return err
				}
				page = append(page, e)
			}
			return d.expectToken(']')
		case "metadata":
			return d.meta(&meta)
		}
		return d.skip()
	})
	return page, meta, err
}

// decodeOne reads {"success":true,"data":{"type":"Employee","attributes":…}}.
func (d *employeeDecoder) decodeOne(r io.Reader) (hris.Employee, error) {
	var e hris.Employee
	found := false
	d.reset(r)
	err := d.envelope(func(name []byte) error {
		if string(name) != "data" || d.dec.PeekKind() != '{' {
			return d.skip()
		}
		found = true
		return d.employee(&e)
	})
	if err == nil && !found {
		err = errors.New(`no "data" object`)
	}
	return e, err
}

func (d *employeeDecoder) reset(r io.Reader) {
	d.dec.Reset(r, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// envelope walks the top-level object, calling member for each member name
// and failing when "success" is false.
func (d *employeeDecoder) envelope(member func(name []byte) error) error {
	if d.dec.PeekKind() != '{' {
		if d.dec.PeekKind() == 0 {
			_, err := d.dec.ReadToken()
			return err
		}
		return errors.New("response is not a JSON object")
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	for d.dec.PeekKind() != '}' {
		name, err := d.name()
		if err != nil {
			return err
		}
		if string(name) == "success" {
			ok, _, err := d.boolValue()
			if err != nil {
				return err
			}
			if !ok {
				return errNotSuccess
			}
			continue
		}
		if err := member(name); err != nil {
			return err
		}
	}
	return d.expectToken('}')
}

func (d *employeeDecoder) meta(m *pageMeta) error {
	if d.dec.PeekKind() != '{' {
		return d.skip()
	}
	return d.object(func(name []byte) error {
		var dst *int64
		switch string(name) {
		case "total_elements":
			dst = &m.TotalElements
		case "current_page":
			dst = &m.CurrentPage
		case "total_pages":
			dst = &m.TotalPages
		default:
			return d.skip()
		}
		v, problem, err := d.intValue()
		if err == nil && problem == "" {
			*dst = v
			m.known = true
		}
		return err
	})
}

// employee reads {"type":"Employee","attributes":{…}}.
func (d *employeeDecoder) employee(e *hris.Employee) error {
	var w warnings
	var seen fieldSet
	if d.dec.PeekKind() != '{' {
		w.add("record", "expected an object, got "+jsonKindName(byte(d.dec.PeekKind())))
		if err := d.skip(); err != nil {
			return err
		}
	} else {
		err := d.object(func(name []byte) error {
			switch string(name) {
			case "attributes":
				if d.dec.PeekKind() != '{' {
					w.add("attributes", "expected an object, got "+jsonKindName(byte(d.dec.PeekKind())))
					return d.skip()
				}
				return d.object(func(key []byte) error {
					f := fieldOf(key)
					var custom string
					if f == fCustom {
						custom = d.intern(key)
					} else {
						seen |= 1 << f
					}
					return d.attribute(e, f, custom, &w)
				})
			case "id":
				// Some responses repeat the id beside the attributes.
				v, _, err := d.intValue()
				if err == nil && e.ID == 0 {
					e.ID = v
				}
				return err
			}
			return d.skip()
		})
		if err != nil {
			return err
		}
	}
	if e.ID == 0 {
		w.add("id", "the record has no usable id")
	}
	if missing := d.expect &^ seen; missing != 0 {
		for f := fID; f < fieldCount; f++ {
			if missing.has(f) {
				e.Missing = append(e.Missing, fieldKeys[f])
			}
		}
	}
	e.Warnings = w
	return nil
}

// attribute reads one {"label":…,"value":…,"type":…,"universal_id":…}.
// A bare value in place of the object is accepted as the value.
func (d *employeeDecoder) attribute(e *hris.Employee, f field, custom string, w *warnings) error {
	if d.dec.PeekKind() != '{' {
		return d.attributeValue(e, f, custom, nil, w)
	}
	var cv *hris.AttributeValue
	if f == fCustom {
		cv = &hris.AttributeValue{}
	}
	err := d.object(func(name []byte) error {
		switch string(name) {
		case "value":
			return d.attributeValue(e, f, custom, cv, w)
		case "label", "type", "universal_id":
			if cv == nil {
				return d.skip()
			}
			var dst *string
			switch string(name) {
			case "label":
				dst = &cv.Label
			case "type":
				dst = &cv.Type
			default:
				dst = &cv.UniversalID
			}
			s, _, err := d.stringValue(true)
			*dst = s
			return err
		}
		return d.skip()
	})
	if err != nil {
		return err
	}
	if cv != nil {
		if e.Custom == nil {
			e.Custom = make(map[string]hris.AttributeValue, 8)
		}
		e.Custom[custom] = *cv
	}
	return nil
}

// attributeValue reads the value of attribute f into e (or into cv for
// custom attributes).
func (d *employeeDecoder) attributeValue(e *hris.Employee, f field, custom string, cv *hris.AttributeValue, w *warnings) error {
	key := fieldKeys[f]
	var problem string
	var err error
	switch f {
	case fCustom:
		if cv == nil {
			cv = &hris.AttributeValue{}
			defer func() {
				if e.Custom == nil {
					e.Custom = make(map[string]hris.AttributeValue, 8)
				}
				e.Custom[custom] = *cv
			}()
		}
		return d.customValue(cv)
	case fID:
		e.ID, problem, err = d.intValue()
	case fFirstName:
		e.FirstName, problem, err = d.stringValue(false)
	case fLastName:
		e.LastName, problem, err = d.stringValue(false)
	case fPreferredName:
		e.PreferredName, problem, err = d.stringValue(false)
	case fEmail:
		e.Email, problem, err = d.stringValue(false)
		e.Email = strings.TrimSpace(e.Email)
	case fGender:
		e.Gender, problem, err = d.stringValue(true)
	case fStatus:
		var s string
		s, problem, err = d.stringValue(true)
		e.Status = hris.EmployeeStatus(s)
	case fPosition:
		e.Position, problem, err = d.stringValue(true)
	case fEmploymentType:
		e.EmploymentType, problem, err = d.stringValue(true)
	case fTerminationType:
		e.TerminationType, problem, err = d.stringValue(true)
	case fTerminationReason:
		e.TerminationReason, problem, err = d.stringValue(true)
	case fProfilePicture:
		e.ProfilePictureURL, problem, err = d.stringValue(false)
	case fWeeklyHours:
		e.WeeklyHours, problem, err = d.floatValue()
	case fHireDate:
		e.HireDate, problem, err = d.dateValue()
	case fContractEndDate:
		e.ContractEndDate, problem, err = d.dateValue()
	case fTerminationDate:
		e.TerminationDate, problem, err = d.dateValue()
	case fLastWorkingDay:
		e.LastWorkingDay, problem, err = d.dateValue()
	case fProbationEnd:
		e.ProbationEndDate, problem, err = d.dateValue()
	case fCreatedAt:
		e.CreatedAt, problem, err = d.timeValue()
	case fLastModifiedAt:
		e.LastModifiedAt, problem, err = d.timeValue()
	case fSubcompany:
		e.Subcompany, problem, err = d.refValue()
	case fOffice:
		e.Office, problem, err = d.refValue()
	case fDepartment:
		e.Department, problem, err = d.refValue()
	case fTeam:
		e.Team, problem, err = d.refValue()
	case fCostCenters:
		e.CostCenters, problem, err = d.costCenters()
	case fSupervisor:
		e.SupervisorID, problem, err = d.supervisor()
	default:
		err = d.skip()
	}
	w.add(key, problem)
	return err
}

// customValue keeps a scalar as text and an object or array as raw JSON.
func (d *employeeDecoder) customValue(cv *hris.AttributeValue) error {
	switch d.dec.PeekKind() {
	case '{', '[':
		v, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		cv.Raw = append([]byte(nil), v...)
		return nil
	case 'n':
		_, err := d.dec.ReadToken()
		return err
	case '"':
		s, _, err := d.stringValue(false)
		cv.Value = s
		return err
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return err
	}
	cv.Value = d.intern(v)
	return nil
}

// refValue reads {"type":"Department","attributes":{"id":1,"name":"…"}}, a
// flat {"id":1,"name":"…"}, or null, "" and [] for none.
func (d *employeeDecoder) refValue() (hris.Ref, string, error) {
	var r hris.Ref
	switch d.dec.PeekKind() {
	case '{':
	case 'n', '"', '[':
		p, err := d.emptyOrProblem("an object")
		return r, p, err
	default:
		return r, "expected an object, got " + jsonKindName(byte(d.dec.PeekKind())), d.skip()
	}
	var problem string
	var read func(name []byte) error
	read = func(name []byte) error {
		switch string(name) {
		case "attributes":
			if d.dec.PeekKind() != '{' {
				return d.skip()
			}
			return d.object(read)
		case "id":
			v, p, err := d.intValue()
			r.ID = v
			if p != "" {
				problem = "id: " + p
			}
			return err
		case "name":
			s, _, err := d.stringValue(true)
			r.Name = s
			return err
		}
		return d.skip()
	}
	err := d.object(read)
	return r, problem, err
}

// costCenters reads [{"type":"CostCenter","attributes":{"id","name","percentage"}}].
func (d *employeeDecoder) costCenters() ([]hris.CostCenter, string, error) {
	switch d.dec.PeekKind() {
	case '[':
	case 'n', '"', '{':
		p, err := d.emptyOrProblem("an array")
		return nil, p, err
	default:
		return nil, "expected an array, got " + jsonKindName(byte(d.dec.PeekKind())), d.skip()
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return nil, "", err
	}
	var out []hris.CostCenter
	var problem string
	for d.dec.PeekKind() != ']' {
		if d.dec.PeekKind() != '{' {
			problem = "cost center is not an object"
			if err := d.skip(); err != nil {
				return nil, "", err
			}
			continue
		}
		var cc hris.CostCenter
		var read func(name []byte) error
		read = func(name []byte) error {
			switch string(name) {
			case "attributes":
				if d.dec.PeekKind() != '{' {
					return d.skip()
				}
				return d.object(read)
			case "id":
				v, p, err := d.intValue()
				cc.ID = v
				if p != "" {
					problem = "id: " + p
				}
				return err
			case "name":
				s, _, err := d.stringValue(true)
				cc.Name = s
				return err
			case "percentage":
				v, p, err := d.floatValue()
				cc.Percentage = v
				if p != "" {
					problem = "percentage: " + p
				}
				return err
			}
			return d.skip()
		}
		if err := d.object(read); err != nil {
			return nil, "", err
		}
		out = append(out, cc)
	}
	_, err := d.dec.ReadToken()
	return out, problem, err
}

// supervisor reads {"type":"Employee","attributes":{"id":{"value":2,…},…}}
// (or "id":2), a bare id, or null, "" and [] for none.
func (d *employeeDecoder) supervisor() (*int64, string, error) {
	switch d.dec.PeekKind() {
	case '{':
	case '0':
		v, p, err := d.intValue()
		if p != "" || err != nil || v == 0 {
			return nil, p, err
		}
		return &v, "", nil
	case '"':
		v, p, err := d.intValue()
		if p != "" || err != nil || v == 0 {
			return nil, p, err
		}
		return &v, "", nil
	case 'n', '[':
		return nil, "", d.skip()
	default:
		return nil, "expected an object, got " + jsonKindName(byte(d.dec.PeekKind())), d.skip()
	}
	var id int64
	var problem string
	err := d.object(func(name []byte) error {
		if string(name) != "attributes" || d.dec.PeekKind() != '{' {
			return d.skip()
		}
		return d.object(func(name []byte) error {
			if string(name) != "id" {
				return d.skip()
			}
			if d.dec.PeekKind() != '{' {
				v, p, err := d.intValue()
				id, problem = v, p
				return err
			}
			return d.object(func(name []byte) error {
				if string(name) != "value" {
					return d.skip()
				}
				v, p, err := d.intValue()
				id, problem = v, p
				return err
			})
		})
	})
	if err != nil || id == 0 {
		return nil, problem, err
	}
	return &id, problem, nil
}

// emptyOrProblem consumes a null, "" or empty container (meaning "none")
// or reports what was found instead of want.
func (d *employeeDecoder) emptyOrProblem(want string) (string, error) {
	kind := d.dec.PeekKind()
	v, err := d.dec.ReadValue()
	if err != nil {
		return "", err
	}
	switch string(v) {
	case "null", `""`, "[]", "{}":
		return "", nil
	}
	return "expected " + want + ", got " + jsonKindName(byte(kind)), nil
}

// stringValue reads a string (numbers and booleans as their text, null as
// ""). With intern, equal strings share memory across records.
func (d *employeeDecoder) stringValue(intern bool) (string, string, error) {
	switch d.dec.PeekKind() {
	case '"':
		v, err := d.dec.ReadValue()
		if err != nil {
			return "", "", err
		}
		b, err := d.unquote(v)
		if err != nil {
			return "", "", err
		}
		if intern {
			return d.intern(b), "", nil
		}
		return string(b), "", nil
	case 'n':
		_, err := d.dec.ReadToken()
		return "", "", err
	case '0', 't', 'f':
		v, err := d.dec.ReadValue()
		if err != nil {
			return "", "", err
		}
		return d.intern(v), "", nil
	}
	kind := d.dec.PeekKind()
	return "", "expected text, got " + jsonKindName(byte(kind)), d.skip()
}

// intValue reads an integer from a number or a numeric string; null and ""
// read as 0.
func (d *employeeDecoder) intValue() (int64, string, error) {
	f, problem, err := d.floatValue()
	if err != nil || problem != "" {
		return 0, problem, err
	}
	if f != float64(int64(f)) {
		return 0, fmt.Sprintf("%v is not an integer", f), nil
	}
	return int64(f), "", nil
}

// floatValue reads a number or a numeric string ("40", "37,5"); null and ""
// read as 0.
func (d *employeeDecoder) floatValue() (float64, string, error) {
	switch d.dec.PeekKind() {
	case '0':
		v, err := d.dec.ReadValue()
		if err != nil {
			return 0, "", err
		}
		f, perr := strconv.ParseFloat(string(v), 64)
		if perr != nil {
			return 0, fmt.Sprintf("%s is out of range", truncate(string(v), 40)), nil
		}
		return f, "", nil
	case '"':
		v, err := d.dec.ReadValue()
		if err != nil {
			return 0, "", err
		}
		b, err := d.unquote(v)
		if err != nil {
			return 0, "", err
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return 0, "", nil
		}
		if f, ok := parseNumber(b); ok {
			return f, "", nil
		}
		return 0, fmt.Sprintf("%q is not a number", truncate(string(b), 40)), nil
	case 'n':
		_, err := d.dec.ReadToken()
		return 0, "", err
	}
	kind := d.dec.PeekKind()
	return 0, "expected a number, got " + jsonKindName(byte(kind)), d.skip()
}

// boolValue reads true/false, 0/1 or their string forms.
func (d *employeeDecoder) boolValue() (bool, string, error) {
	switch d.dec.PeekKind() {
	case '{', '[':
		kind := d.dec.PeekKind()
		return false, "expected a boolean, got " + jsonKindName(byte(kind)), d.skip()
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return false, "", err
	}
	b, problem := boolFromText(string(bytes.Trim(v, `"`)))
	return b, problem, nil
}

func (d *employeeDecoder) dateValue() (hris.Date, string, error) {
	switch d.dec.PeekKind() {
	case '"':
	case 'n':
		_, err := d.dec.ReadToken()
		return hris.Date{}, "", err
	default:
		kind := d.dec.PeekKind()
		return hris.Date{}, "expected a date, got " + jsonKindName(byte(kind)), d.skip()
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return hris.Date{}, "", err
	}
	b, err := d.unquote(v)
	if err != nil || len(b) == 0 {
		return hris.Date{}, "", err
	}
	date, ok := parseCivilDate(b, d.zones)
	if !ok {
		return hris.Date{}, fmt.Sprintf("%q is not a date", truncate(string(b), 40)), nil
	}
	return date, "", nil
}

func (d *employeeDecoder) timeValue() (time.Time, string, error) {
	switch d.dec.PeekKind() {
	case '"':
	case 'n':
		_, err := d.dec.ReadToken()
		return time.Time{}, "", err
	default:
		kind := d.dec.PeekKind()
		return time.Time{}, "expected a date-time, got " + jsonKindName(byte(kind)), d.skip()
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return time.Time{}, "", err
	}
	b, err := d.unquote(v)
	if err != nil || len(b) == 0 {
		return time.Time{}, "", err
	}
	t, ok := parseDateTime(b, d.loc, d.zones)
	if !ok {
		return time.Time{}, fmt.Sprintf("%q is not a date-time", truncate(string(b), 40)), nil
	}
	return t, "", nil
}

// object reads an object, calling member for each name with the decoder
// positioned at its value; member must consume the value.
func (d *employeeDecoder) object(member func(name []byte) error) error {
	if err := d.expectToken('{'); err != nil {
		return err
	}
	for d.dec.PeekKind() != '}' {
		name, err := d.name()
		if err != nil {
			return err
		}
		if err := member(name); err != nil {
			return err
		}
	}
	return d.expectToken('}')
}

// name reads an object member name. The result is valid until the next read.
func (d *employeeDecoder) name() ([]byte, error) {
	if d.dec.PeekKind() != '"' {
		_, err := d.dec.ReadToken()
		if err == nil {
			err = errors.New("expected an object member name")
		}
		return nil, err
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return nil, err
	}
	return d.unquote(v)
}

func (d *employeeDecoder) unquote(v jsontext.Value) ([]byte, error) {
	if len(v) >= 2 && bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	var err error
	d.scratch, err = jsontext.AppendUnquote(d.scratch[:0], v)
	return d.scratch, err
}

func (d *employeeDecoder) expectToken(kind jsontext.Kind) error {
	tok, err := d.dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != kind {
		return fmt.Errorf("expected %v, got %v", kind, tok.Kind())
	}
	return nil
}

func (d *employeeDecoder) skip() error {
	if d.dec.PeekKind() == 0 {
		_, err := d.dec.ReadToken()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return d.dec.SkipValue()
}

// intern returns b as a string, sharing the memory of equal strings seen
// before by this decoder.
func (d *employeeDecoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(s) <= 64 && len(d.strs) < 8192 {
		d.strs[s] = s
	}
	return s
}
