package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	employeesDefaultLimit = 50  // enforced since 2025-01-31 (NOTES.md §4.1)
	employeesMaxLimit     = 100 // idem
	timeOffsMaxLimit      = 200
	employee404Message    = "Es ist ein Problem aufgetreten " // sic, with the trailing space
	picture404Message     = "Etwas ist schiefgelaufen ..."
)

// queryInt parses an optional integer query parameter.
func queryInt(q url.Values, key string, def int) (int, bool) {
	v := q.Get(key)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

func (s *Server) attrIndex(key string) int {
	for i := range s.attrs {
		if s.attrs[i].key == key {
			return i
		}
	}
	return -1
}

// employeeMask returns the attributes to serve: the credential's whitelist,
// narrowed by attributes[] when given. id is always served [inf].
func (s *Server) employeeMask(cred *credential, requested []string) (mask []bool, selected []int) {
	mask = make([]bool, len(s.attrs))
	if len(requested) == 0 {
		copy(mask, cred.readable)
		return mask, nil
	}
	mask[0] = true
	for _, k := range requested {
		if i := s.attrIndex(k); i >= 0 && cred.readable[i] {
			mask[i] = true
			selected = append(selected, i)
		}
	}
	return mask, selected
}

// handleEmployees implements GET /v1/company/employees: record offset,
// default limit 50, max 100, email, updated_since and attributes[].
func (s *Server) handleEmployees(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := queryInt(q, "limit", employeesDefaultLimit)
	if !ok || limit < 1 || limit > employeesMaxLimit {
		// [inf] status 400; message as observed with the former max of 200.
		writeV1Error(w, http.StatusBadRequest, 400, "The limit must be between 1 and "+strconv.Itoa(employeesMaxLimit)+".")
		return
	}
	offset, ok := queryInt(q, "offset", 0)
	if !ok || offset < 0 {
		writeV1Error(w, http.StatusBadRequest, 400, "The offset must be at least 0.")
		return
	}
	var since time.Time
	hasSince := q.Get("updated_since") != ""
	if hasSince {
		t, err := parseUpdatedSince(q.Get("updated_since"))
		if err != nil {
			writeV1Error(w, http.StatusBadRequest, 400, "The updated since is not a valid date. Use the format YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD.")
			return
		}
		since = t
	}
	requested := q["attributes[]"]
	mask, selected := s.employeeMask(credFrom(r.Context()), requested)
	// The email filter is ignored together with updated_since (spec).
	email := ""
	if !hasSince {
		email = strings.TrimSpace(q.Get("email"))
	}
	sinceUnix := since.Unix()

	match := func(e *employee) bool {
		if email != "" && !strings.EqualFold(e.email, email) {
			return false
		}
		if hasSince {
			if len(selected) == 0 {
				return e.lastModified > sinceUnix
			}
			// With attributes[] updated_since selects employees that had
			// any of the listed attributes changed.
			for _, i := range selected {
				if e.modifiedAt(s.attrs[i].key) > sinceUnix {
					return true
				}
			}
			return false
		}
		return true
	}

	buf := s.getBuf()
	defer s.putBuf(buf)
	b := (*buf)[:0]
	s.mu.RLock()
	x := &encCtx{c: s.data, baseURL: s.baseURL(r)}
	var page []*employee
	total := 0
	if email == "" && !hasSince {
		all := s.data.employees
		total = len(all)
		if offset < total {
			page = all[offset:min(offset+limit, total)]
		}
	} else {
		for _, e := range s.data.employees {
			if !match(e) {
				continue
			}
			if total >= offset && total < offset+limit {
				page = append(page, e)
			}
			total++
		}
	}
	b = append(b, `{"success":true,"metadata":{"total_elements":`...)
	b = appendInt(b, total)
	b = append(b, `,"current_page":`...)
	b = appendInt(b, offset/limit)
	b = append(b, `,"total_pages":`...)
	b = appendInt(b, (total+limit-1)/limit)
	b = append(b, `},"offset":`...)
	b = appendInt(b, offset)
	b = append(b, `,"limit":`...)
	b = appendInt(b, limit)
	b = append(b, `,"data":[`...)
	for i, e := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendEmployee(b, e, x, mask)
	}
	s.mu.RUnlock()
	b = append(b, "]}"...)
	*buf = b
	writeRaw(w, http.StatusOK, "application/json", b)
}

// handleEmployee implements GET /v1/company/employees/{id}.
func (s *Server) handleEmployee(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	mask, _ := s.employeeMask(credFrom(r.Context()), nil)
	s.mu.RLock()
	e := s.data.employee(id)
	if err != nil || e == nil {
		s.mu.RUnlock()
		writeV1Error(w, http.StatusNotFound, 404, employee404Message)
		return
	}
	b := append([]byte(nil), `{"success":true,"data":`...)
	b = s.appendEmployee(b, e, &encCtx{c: s.data, baseURL: s.baseURL(r)}, mask)
	s.mu.RUnlock()
	b = append(b, '}')
	writeRaw(w, http.StatusOK, "application/json", b)
}

type attributeInfo struct {
	Key         string   `json:"key"`
	Label       string   `json:"label"`
	Type        string   `json:"type"`
	UniversalID *string  `json:"universal_id"`
	Options     []string `json:"options"`
}

// handleEmployeeAttributes lists the attributes readable by the credential.
func (s *Server) handleEmployeeAttributes(w http.ResponseWriter, r *http.Request) {
	cred := credFrom(r.Context())
	out := make([]attributeInfo, 0, len(s.attrs))
	for i, a := range s.attrs {
		if !cred.readable[i] {
			continue
		}
		info := attributeInfo{Key: a.key, Label: a.label, Type: a.typ, Options: []string{}}
		if a.universalID != "" {
			uid := a.universalID
			info.UniversalID = &uid
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool            `json:"success"`
		Data    []attributeInfo `json:"data"`
	}{true, out})
}

// handleProfilePicture serves a generated PNG. Unlike the other v1 routes it
// does not echo the Authorization header (NOTES.md §3.1, personio-py) and
// does not consume legacy tokens [inf].
func (s *Server) handleProfilePicture(w http.ResponseWriter, r *http.Request) {
	v, ok := bearer(r)
	if !ok {
		writeV1Error(w, http.StatusUnauthorized, 401, "Authorization is not provided")
		return
	}
	t, ok := s.tokens.peek(v, s.now())
	if !ok {
		writeV1Error(w, http.StatusUnauthorized, 401, "Provided authorization is not valid")
		return
	}
	if !t.cred.canRead(s.attrs, "profile_picture") {
		writeV1Error(w, http.StatusNotFound, 404, picture404Message)
		return
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	width, werr := strconv.Atoi(r.PathValue("width"))
	if err != nil || werr != nil {
		writeV1Error(w, http.StatusNotFound, 404, picture404Message)
		return
	}
	s.mu.RLock()
	e := s.data.employee(id)
	var first, last string
	has := e != nil && e.hasPicture
	if has {
		first, last = e.firstName, e.lastName
	}
	s.mu.RUnlock()
	if !has {
		writeV1Error(w, http.StatusNotFound, 404, picture404Message)
		return
	}
	png, err := profilePicture(first, last, width)
	if err != nil {
		writeV1Error(w, http.StatusInternalServerError, 500, "Internal server error")
		return
	}
	w.Header().Set("Cache-Control", "private, max-age=3600")
	writeRaw(w, http.StatusOK, "image/png", png)
}

// ---- time-off types and time-offs ---------------------------------------

type timeOffTypeAttrs struct {
	ID                      int     `json:"id"`
	Name                    string  `json:"name"`
	Category                *string `json:"category"`
	Unit                    string  `json:"unit"`
	ApprovalRequired        bool    `json:"approval_required"`
	HalfDayRequestsEnabled  bool    `json:"half_day_requests_enabled"`
	CertificationRequired   bool    `json:"certification_required"`
	CertificationSubmission *string `json:"certification_submission_timeframe"`
	SubstituteOption        string  `json:"substitute_option"`
}

type resource[T any] struct {
	Type       string `json:"type"`
	Attributes T      `json:"attributes"`
}

// handleTimeOffTypes implements GET /v1/company/time-off-types (record
// offset, limit default 200).
func (s *Server) handleTimeOffTypes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := queryInt(q, "limit", 200)
	offset, ok2 := queryInt(q, "offset", 0)
	if !ok || !ok2 || limit < 1 || offset < 0 {
		writeV1Error(w, http.StatusBadRequest, 400, "The limit must be at least 1 and the offset at least 0.")
		return
	}
	s.mu.RLock()
	types := s.data.timeOffTypes
	out := make([]resource[timeOffTypeAttrs], 0, len(types))
	for i := offset; i < len(types) && i < offset+limit; i++ {
		t := types[i]
		cat := t.category
		attrs := timeOffTypeAttrs{
			ID: t.id, Name: t.name, Category: &cat, Unit: t.unit, ApprovalRequired: t.approvalRequired,
			HalfDayRequestsEnabled: t.halfDays, CertificationRequired: t.certificate, SubstituteOption: "optional",
		}
		if t.certificate {
			tf := "three_days"
			attrs.CertificationSubmission = &tf
		}
		out = append(out, resource[timeOffTypeAttrs]{"TimeOffType", attrs})
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, struct {
		Success bool                         `json:"success"`
		Data    []resource[timeOffTypeAttrs] `json:"data"`
	}{true, out})
}

func (s *Server) appendHalfDay(b []byte, v bool) []byte {
	if s.opts.HalfDayAsInt {
		if v {
			return append(b, '1')
		}
		return append(b, '0')
	}
	return appendBool(b, v)
}

// appendTimeOff writes {"type":"TimeOffPeriod","attributes":{...}}.
// Offsets alternate between "+0100" (spec) and "+01:00" (live) by id.
func (s *Server) appendTimeOff(b []byte, t *timeOff, c *company) []byte {
	style := offsetStyle(t.id%2 == 1)
	typ := c.timeOffTypes[t.typeIdx]
	b = append(b, `{"type":"TimeOffPeriod","attributes":{"id":`...)
	b = appendInt(b, t.id)
	b = append(b, `,"status":`...)
	b = appendString(b, t.status)
	b = append(b, `,"comment":`...)
	b = appendString(b, t.comment)
	b = append(b, `,"start_date":"`...)
	b = appendDateMidnight(b, t.startDate, style)
	b = append(b, `","end_date":"`...)
	b = appendDateMidnight(b, t.endDate, style)
	b = append(b, `","days_count":`...)
	b = appendFloat(b, t.daysCount)
	b = append(b, `,"half_day_start":`...)
	b = s.appendHalfDay(b, t.halfDayStart)
	b = append(b, `,"half_day_end":`...)
	b = s.appendHalfDay(b, t.halfDayEnd)
	b = append(b, `,"time_off_type":{"type":"TimeOffType","attributes":{"id":`...)
	b = appendInt(b, typ.id)
	b = append(b, `,"name":`...)
	b = appendString(b, typ.name)
	b = append(b, `,"category":`...)
	b = appendString(b, typ.category)
	b = append(b, `}},"employee":`...)
	if e := c.byID[t.employeeID]; e != nil {
		b = appendShortEmployee(b, e, "id")
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"created_by":`...)
	b = appendString(b, t.createdBy)
	b = append(b, `,"certificate":{"status":`...)
	if typ.certificate {
		b = append(b, `"uploaded"`...)
	} else {
		b = append(b, `"not-required"`...)
	}
	b = append(b, `},"created_at":"`...)
	b = appendTimestamp(b, t.createdAt, style)
	b = append(b, `","updated_at":"`...)
	b = appendTimestamp(b, t.updatedAt, style)
	return append(b, `"}}`...)
}

// isEmployeesKey matches "employees[]" and PHP-style "employees[0]".
func isEmployeesKey(key string) bool {
	inner, ok := strings.CutPrefix(key, "employees[")
	if !ok {
		return false
	}
	inner, ok = strings.CutSuffix(inner, "]")
	if !ok {
		return false
	}
	for _, r := range inner {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// employeeFilter reads employees[] (repeated keys, or PHP-style indexed
// keys). Comma lists and a bare "employees" key are rejected like Personio
// does ("the employees must be an array", api-docs issue #29).
func employeeFilter(q url.Values) (map[int]bool, string) {
	var ids map[int]bool
	for key, vals := range q {
		if key == "employees" {
			return nil, "the employees must be an array"
		}
		if !isEmployeesKey(key) {
			continue
		}
		if ids == nil {
			ids = map[int]bool{}
		}
		for i, v := range vals {
			if strings.Contains(v, ",") {
				return nil, "the employees must be an array"
			}
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, "The employees." + strconv.Itoa(i) + " must be an integer."
			}
			ids[n] = true
		}
	}
	return ids, ""
}

func optionalDate(q url.Values, key string) (civil, bool) {
	v := q.Get(key)
	if v == "" {
		return 0, true
	}
	d, err := parseCivil(v)
	return d, err == nil
}

// handleTimeOffs implements GET /v1/company/time-offs: offset is a 1-based
// page number where 0 ≡ 1, limit default and max 200 (NOTES.md §4.1).
func (s *Server) handleTimeOffs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := queryInt(q, "limit", timeOffsMaxLimit)
	if !ok || limit < 1 || limit > timeOffsMaxLimit {
		writeV1Error(w, http.StatusBadRequest, 400, "The limit must be between 1 and "+strconv.Itoa(timeOffsMaxLimit)+".")
		return
	}
	offset, ok := queryInt(q, "offset", 0)
	if !ok || offset < 0 {
		writeV1Error(w, http.StatusBadRequest, 400, "The offset must be at least 0.")
		return
	}
	page := max(offset, 1)
	ids, msg := employeeFilter(q)
	if msg != "" {
		writeV1Error(w, http.StatusBadRequest, 400, msg)
		return
	}
	start, ok1 := optionalDate(q, "start_date")
	end, ok2 := optionalDate(q, "end_date")
	from, ok3 := optionalDate(q, "updated_from")
	to, ok4 := optionalDate(q, "updated_to")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		writeV1Error(w, http.StatusBadRequest, 400, "The dates must match the format Y-m-d.")
		return
	}
	var fromUnix, toUnix int64
	if from.valid() {
		fromUnix = berlinMidnight(from).Unix()
	}
	if to.valid() {
		toUnix = berlinMidnight(to.addDays(1)).Unix()
	}

	b := make([]byte, 0, 64*1024)
	s.mu.RLock()
	c := s.data
	total := 0
	first, last := (page-1)*limit, page*limit
	items := 0
	var body []byte
	for _, t := range c.timeOffs {
		if t.deleted ||
			ids != nil && !ids[t.employeeID] ||
			start.valid() && t.endDate < start ||
			end.valid() && t.startDate > end ||
			from.valid() && t.updatedAt < fromUnix ||
			to.valid() && t.updatedAt >= toUnix {
			continue
		}
		if total >= first && total < last {
			if items > 0 {
				body = append(body, ',')
			}
			body = s.appendTimeOff(body, t, c)
			items++
		}
		total++
	}
	s.mu.RUnlock()
	b = append(b, `{"success":true,"metadata":{"total_elements":`...)
	b = appendInt(b, total)
	b = append(b, `,"current_page":`...)
	b = appendInt(b, page)
	b = append(b, `,"total_pages":`...)
	b = appendInt(b, (total+limit-1)/limit)
	b = append(b, `},"offset":`...)
	b = appendInt(b, offset)
	b = append(b, `,"limit":`...)
	b = appendInt(b, limit)
	b = append(b, `,"data":[`...)
	b = append(b, body...)
	b = append(b, "]}"...)
	writeRaw(w, http.StatusOK, "application/json", b)
}

// handleTimeOff implements GET /v1/company/time-offs/{id}.
func (s *Server) handleTimeOff(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeV1Error(w, http.StatusBadRequest, 400, "The absence period id is invalid.")
		return
	}
	s.mu.RLock()
	t := s.data.timeOffByID[id]
	if t == nil {
		s.mu.RUnlock()
		writeV1Error(w, http.StatusNotFound, 404, "The absence period was not found.")
		return
	}
	b := append([]byte(nil), `{"success":true,"data":`...)
	b = s.appendTimeOff(b, t, s.data)
	s.mu.RUnlock()
	writeRaw(w, http.StatusOK, "application/json", append(b, '}'))
}

// handleDeleteTimeOff implements DELETE /v1/company/time-offs/{id}.
func (s *Server) handleDeleteTimeOff(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		writeV1Error(w, http.StatusBadRequest, 400, "The absence period id is invalid.")
		return
	}
	if err := s.DeleteTimeOff(id); err != nil {
		writeV1Error(w, http.StatusNotFound, 404, "The absence period was not found.")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool `json:"success"`
		Data    struct {
			Message string `json:"message"`
		} `json:"data"`
	}{Success: true, Data: struct {
		Message string `json:"message"`
	}{"The absence period was deleted."}})
}

func parseFormBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "on", "yes":
		return true, true
	case "0", "false", "off", "no":
		return false, true
	}
	return false, false
}

// handleCreateTimeOff implements POST /v1/company/time-offs (form body).
func (s *Server) handleCreateTimeOff(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		writeV1Error(w, http.StatusBadRequest, 400, "Error when trying to insert absence period")
		return
	}
	f := r.PostForm
	errs := map[string][]string{}
	required := func(key, label string) string {
		v := strings.TrimSpace(f.Get(key))
		if v == "" {
			errs[key] = append(errs[key], "The "+label+" field is required.")
		}
		return v
	}
	empStr := required("employee_id", "employee id")
	typeStr := required("time_off_type_id", "time off type id")
	startStr := required("start_date", "start date")
	endStr := required("end_date", "end date")
	hdsStr := required("half_day_start", "half day start")
	hdeStr := required("half_day_end", "half day end")
	in := TimeOffInput{Comment: f.Get("comment"), Status: "approved"}
	var err error
	if empStr != "" {
		if in.EmployeeID, err = strconv.Atoi(empStr); err != nil {
			errs["employee_id"] = append(errs["employee_id"], "The employee id must be an integer.")
		}
	}
	if typeStr != "" {
		if in.TimeOffTypeID, err = strconv.Atoi(typeStr); err != nil {
			errs["time_off_type_id"] = append(errs["time_off_type_id"], "The time off type id must be an integer.")
		}
	}
	for _, d := range []struct{ key, val, label string }{{"start_date", startStr, "start date"}, {"end_date", endStr, "end date"}} {
		if d.val != "" {
			if _, err := parseCivil(d.val); err != nil {
				errs[d.key] = append(errs[d.key], "The "+d.label+" does not match the format Y-m-d.")
			}
		}
	}
	in.StartDate, in.EndDate = startStr, endStr
	var okB bool
	if hdsStr != "" {
		if in.HalfDayStart, okB = parseFormBool(hdsStr); !okB {
			errs["half_day_start"] = append(errs["half_day_start"], "The half day start field must be true or false.")
		}
	}
	if hdeStr != "" {
		if in.HalfDayEnd, okB = parseFormBool(hdeStr); !okB {
			errs["half_day_end"] = append(errs["half_day_end"], "The half day end field must be true or false.")
		}
	}
	skip := true
	if v := f.Get("skip_approval"); v != "" {
		if skip, okB = parseFormBool(v); !okB {
			errs["skip_approval"] = append(errs["skip_approval"], "The skip approval field must be true or false.")
		}
	}
	if len(errs) == 0 && endStr < startStr {
		errs["end_date"] = append(errs["end_date"], "The end date must be a date after or equal to start date.")
	}
	if len(errs) > 0 {
		writeV1ValidationError(w, errs)
		return
	}
	in.skipApproval = &skip
	in.createdBy = "API"
	t, err := s.AddTimeOff(in)
	switch {
	case err == nil:
	case errors.Is(err, ErrEmployeeNotFound):
		writeV1Error(w, http.StatusNotFound, 0, "Employee not found.")
		return
	case errors.Is(err, ErrTimeOffTypeNotFound):
		writeV1Error(w, http.StatusNotFound, 0, "Time-off type not found.")
		return
	default:
		// Overlaps, hour-unit types: Personio's generic insert error.
		writeV1Error(w, http.StatusBadRequest, 400, "Error when trying to insert absence period")
		return
	}
	s.mu.RLock()
	b := append([]byte(nil), `{"success":true,"data":`...)
	if stored := s.data.timeOffByID[t.ID]; stored != nil {
		b = s.appendTimeOff(b, stored, s.data)
	} else {
		b = append(b, "null"...)
	}
	s.mu.RUnlock()
	writeRaw(w, http.StatusOK, "application/json", append(b, '}'))
}
