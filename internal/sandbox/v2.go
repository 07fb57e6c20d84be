package sandbox

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The v2 attendance-period API follows the developer-hub excerpts in
// NOTES.md §8.4; its spec file is not available, so shapes not listed there
// are marked [inf].

const (
	attendanceDefaultLimit = 100
	attendanceMaxLimit     = 100
	wallLayout             = "2006-01-02T15:04:05"
	maxPeriodLength        = 24 * 3600
)

type idRef struct {
	ID string `json:"id"`
}

type dateTimeRef struct {
	DateTime string `json:"date_time"`
}

type link struct {
	Href string `json:"href"`
}

type links struct {
	Self link  `json:"self"`
	Next *link `json:"next,omitempty"`
}

type metaLinks struct {
	Links links `json:"links"`
}

type attendanceWire struct {
	ID              string       `json:"id"`
	Person          idRef        `json:"person"`
	Type            string       `json:"type"`
	Start           dateTimeRef  `json:"start"`
	End             *dateTimeRef `json:"end"`
	AttributionDate string       `json:"attribution_date"`
	Status          string       `json:"status"`
	Project         *idRef       `json:"project"`
	Comment         string       `json:"comment"`
	CreatedAt       string       `json:"created_at"` // [inf]
	UpdatedAt       string       `json:"updated_at"` // [inf]
	Meta            metaLinks    `json:"_meta"`
}

func (s *Server) attendanceWire(p *attendancePeriod, base string) attendanceWire {
	w := attendanceWire{
		ID:              p.id,
		Person:          idRef{strconv.Itoa(p.personID)},
		Type:            p.kind,
		Start:           dateTimeRef{wallString(p.start)},
		AttributionDate: p.attribution.String(),
		Status:          p.status,
		Comment:         p.comment,
		CreatedAt:       time.Unix(p.createdAt, 0).UTC().Format(time.RFC3339),
		UpdatedAt:       time.Unix(p.updatedAt, 0).UTC().Format(time.RFC3339),
		Meta:            metaLinks{links{Self: link{base + "/v2/attendance-periods/" + p.id}}},
	}
	if p.hasEnd {
		w.End = &dateTimeRef{wallString(p.end)}
	}
	if p.projectID != "" {
		w.Project = &idRef{p.projectID}
	}
	return w
}

// ---- sorting -----------------------------------------------------------

type sortKey struct {
	field string
	desc  bool
}

func defaultAttendanceSort() []sortKey {
	return []sortKey{{field: "person.id"}, {field: "start.date_time"}, {field: "end.date_time"}}
}

func parseSort(v string) ([]sortKey, bool) {
	if v == "" {
		return defaultAttendanceSort(), true
	}
	var keys []sortKey
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		k := sortKey{field: strings.TrimPrefix(f, "-"), desc: strings.HasPrefix(f, "-")}
		switch k.field {
		case "person.id", "start.date_time", "end.date_time", "updated_at", "status":
		default:
			return nil, false
		}
		keys = append(keys, k)
	}
	// The id breaks ties so pages are stable.
	return append(keys, sortKey{field: "id"}), true
}

func sortAttendance(ps []*attendancePeriod, keys []sortKey) {
	slices.SortStableFunc(ps, func(a, b *attendancePeriod) int {
		for _, k := range keys {
			var c int
			switch k.field {
			case "person.id":
				c = cmp.Compare(a.personID, b.personID)
			case "start.date_time":
				c = cmp.Compare(a.start, b.start)
			case "end.date_time":
				c = cmp.Compare(endKey(a), endKey(b))
			case "updated_at":
				c = cmp.Compare(a.updatedAt, b.updatedAt)
			case "status":
				c = cmp.Compare(a.status, b.status)
			case "id":
				c = cmp.Compare(a.id, b.id)
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

func endKey(p *attendancePeriod) int64 {
	if !p.hasEnd {
		return 1<<62 - 1
	}
	return p.end
}

// ---- filters -----------------------------------------------------------

// parseWall reads a v2 date-time filter or body value. Values without an
// offset are Berlin wall-clock times as on the wire; values with an offset
// or Z are converted to Berlin wall-clock time [inf].
func parseWall(v string) (int64, bool) {
	if t, err := time.Parse(wallLayout, v); err == nil {
		return t.Unix(), true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Unix() + int64(berlinOffset(t)), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.Unix(), true
	}
	return 0, false
}

// parseInstant reads updated_at filters; values without an offset are UTC [inf].
func parseInstant(v string) (int64, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Unix(), true
	}
	if t, err := time.Parse(wallLayout, v); err == nil {
		return t.Unix(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.Unix(), true
	}
	return 0, false
}

type attendanceFilter struct {
	ids, persons, projects, statuses map[string]bool
	bounds                           map[string]int64 // "start.gte" etc.
	attrFrom, attrTo                 civil
}

// listValues collects comma-separated and repeated values.
func listValues(vals []string) map[string]bool {
	out := map[string]bool{}
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out[p] = true
			}
		}
	}
	return out
}

// parseAttendanceFilter validates the query; unknown parameters are
// rejected like the v2 persons API does with unknown operators [inf].
func parseAttendanceFilter(q url.Values) (attendanceFilter, string, bool) {
	f := attendanceFilter{bounds: map[string]int64{}}
	for key, vals := range q {
		switch key {
		case "limit", "cursor", "sort":
		case "id":
			f.ids = listValues(vals)
		case "person.id":
			f.persons = listValues(vals)
		case "project.id":
			f.projects = listValues(vals)
		case "status":
			f.statuses = listValues(vals)
			for st := range f.statuses {
				switch st {
				case "PENDING", "CONFIRMED", "REJECTED":
				default:
					return f, key, false
				}
			}
		case "start.date_time.gte", "start.date_time.lte", "end.date_time.gte", "end.date_time.lte":
			v, ok := parseWall(vals[0])
			if !ok {
				return f, key, false
			}
			f.bounds[key] = v
		case "updated_at.gte", "updated_at.lte":
			v, ok := parseInstant(vals[0])
			if !ok {
				return f, key, false
			}
			f.bounds[key] = v
		case "attribution_date.gte", "attribution_date.lte":
			d, err := parseCivil(vals[0])
			if err != nil {
				return f, key, false
			}
			if key == "attribution_date.gte" {
				f.attrFrom = d
			} else {
				f.attrTo = d
			}
		default:
			return f, key, false
		}
	}
	return f, "", true
}

func (f attendanceFilter) match(p *attendancePeriod) bool {
	if f.ids != nil && !f.ids[p.id] ||
		f.persons != nil && !f.persons[strconv.Itoa(p.personID)] ||
		f.projects != nil && !f.projects[p.projectID] ||
		f.statuses != nil && !f.statuses[p.status] ||
		f.attrFrom.valid() && p.attribution < f.attrFrom ||
		f.attrTo.valid() && p.attribution > f.attrTo {
		return false
	}
	for k, v := range f.bounds {
		switch k {
		case "start.date_time.gte":
			if p.start < v {
				return false
			}
		case "start.date_time.lte":
			if p.start > v {
				return false
			}
		case "end.date_time.gte":
			if p.hasEnd && p.end < v {
				return false
			}
		case "end.date_time.lte":
			if !p.hasEnd || p.end > v {
				return false
			}
		case "updated_at.gte":
			if p.updatedAt < v {
				return false
			}
		case "updated_at.lte":
			if p.updatedAt > v {
				return false
			}
		}
	}
	return true
}

func encodeCursor(offset int) string {
	return "cur_" + base64.RawURLEncoding.EncodeToString([]byte("o:"+strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, bool) {
	raw, ok := strings.CutPrefix(c, "cur_")
	if !ok {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
	if err != nil || n < 0 || !bytes.HasPrefix(b, []byte("o:")) {
		return 0, false
	}
	return n, true
}

func (s *Server) badRequest(w http.ResponseWriter, detail string, meta map[string]string) {
	s.writeProblemMeta(w, http.StatusBadRequest, "Bad request", detail, "common.bad_request", meta)
}

// handleListAttendance implements GET /v2/attendance-periods with cursor
// pagination: the next page is only reachable through _meta.links.next.href.
func (s *Server) handleListAttendance(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := attendanceDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > attendanceMaxLimit {
			s.badRequest(w, "Provided request parameters are invalid.", map[string]string{"limit": "must be an integer between 1 and 100"})
			return
		}
		limit = n
	}
	offset := 0
	if v := q.Get("cursor"); v != "" {
		n, ok := decodeCursor(v)
		if !ok {
			s.badRequest(w, "Provided request parameters are invalid.", map[string]string{"cursor": "is invalid"})
			return
		}
		offset = n
	}
	keys, ok := parseSort(q.Get("sort"))
	if !ok {
		s.badRequest(w, "Provided request parameters are invalid.", map[string]string{"sort": "unsupported sort field"})
		return
	}
	f, bad, ok := parseAttendanceFilter(q)
	if !ok {
		s.badRequest(w, "Provided request parameters are invalid.", map[string]string{bad: "is invalid"})
		return
	}
	base := s.baseURL(r)
	s.mu.RLock()
	var ps []*attendancePeriod
	for _, p := range s.data.attendance {
		if f.match(p) {
			ps = append(ps, p)
		}
	}
	sortAttendance(ps, keys)
	page := ps[min(offset, len(ps)):min(offset+limit, len(ps))]
	data := make([]attendanceWire, len(page))
	for i, p := range page {
		data[i] = s.attendanceWire(p, base)
	}
	more := offset+limit < len(ps)
	s.mu.RUnlock()

	self := base + "/v2/attendance-periods"
	if enc := q.Encode(); enc != "" {
		self += "?" + enc
	}
	out := struct {
		Data []attendanceWire `json:"_data"`
		Meta metaLinks        `json:"_meta"`
	}{Data: data, Meta: metaLinks{links{Self: link{self}}}}
	if more {
		nq := maps2Values(q)
		nq.Set("cursor", encodeCursor(offset+limit))
		out.Meta.Links.Next = &link{base + "/v2/attendance-periods?" + nq.Encode()}
	}
	writeJSON(w, http.StatusOK, out)
}

func maps2Values(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

func (s *Server) handleGetAttendance(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	p := s.data.attendanceBy[r.PathValue("id")]
	var out attendanceWire
	if p != nil {
		out = s.attendanceWire(p, s.baseURL(r))
	}
	s.mu.RUnlock()
	if p == nil {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) notFound(w http.ResponseWriter) {
	s.writeProblem(w, http.StatusNotFound, "Resource not found",
		"The requested resource was not found. The resource could have been deleted or never existed in our system.",
		"common.requested_resource_not_found")
}

// flexID accepts "1001" or 1001.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexID(n.String())
	return nil
}

// optional distinguishes an absent JSON field from null.
type optional[T any] struct {
	set   bool
	value *T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.value = &v
	return nil
}

type attendanceBody struct {
	Person *struct {
		ID flexID `json:"id"`
	} `json:"person"`
	Type    *string               `json:"type"`
	Start   optional[dateTimeRef] `json:"start"`
	End     optional[dateTimeRef] `json:"end"`
	Comment *string               `json:"comment"`
	Project optional[struct {
		ID string `json:"id"`
	}] `json:"project"`
}

type createdObject struct {
	ID   string    `json:"id"`
	Meta metaLinks `json:"_meta"`
}

func decodeBody(r *http.Request, w http.ResponseWriter, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	return dec.Decode(v)
}

// applyAttendance validates a body onto p. It returns the HTTP status and
// message of a failure.
func (s *Server) applyAttendance(p *attendancePeriod, body attendanceBody, create bool) (int, string, map[string]string) {
	c := s.data
	if create {
		var missingFields []string
		if body.Person == nil || body.Person.ID == "" {
			missingFields = append(missingFields, "person.id")
		}
		if body.Type == nil {
			missingFields = append(missingFields, "type")
		}
		if body.Start.value == nil {
			missingFields = append(missingFields, "start.date_time")
		}
		if len(missingFields) > 0 {
			return http.StatusBadRequest, "Provided request parameters are invalid.", map[string]string{"missing_parameters": strings.Join(missingFields, ",")}
		}
		id, err := strconv.Atoi(string(body.Person.ID))
		if err != nil || c.employee(id) == nil {
			return http.StatusUnprocessableEntity, "The person does not exist.", map[string]string{"person.id": string(body.Person.ID)}
		}
		p.personID = id
	} else if body.Person != nil && string(body.Person.ID) != strconv.Itoa(p.personID) {
		return http.StatusBadRequest, "The person of an attendance period cannot be changed.", map[string]string{"person.id": "is read-only"}
	}
	if body.Type != nil {
		switch *body.Type {
		case "WORK", "BREAK":
			p.kind = *body.Type
		default:
			return http.StatusBadRequest, "Provided request parameters are invalid.", map[string]string{"type": "must be WORK or BREAK"}
		}
	}
	if body.Start.set {
		if body.Start.value == nil {
			return http.StatusBadRequest, "Provided request parameters are invalid.", map[string]string{"start": "must not be null"}
		}
		v, ok := parseWall(body.Start.value.DateTime)
		if !ok {
			return http.StatusBadRequest, "Provided request parameters are invalid.", map[string]string{"start.date_time": "invalid date-time"}
		}
		p.start = v
	}
	if body.End.set {
		if body.End.value == nil {
			p.hasEnd, p.end = false, 0
		} else {
			v, ok := parseWall(body.End.value.DateTime)
			if !ok {
				return http.StatusBadRequest, "Provided request parameters are invalid.", map[string]string{"end.date_time": "invalid date-time"}
			}
			p.hasEnd, p.end = true, v
		}
	}
	if body.Comment != nil {
		p.comment = *body.Comment
	}
	if body.Project.set {
		p.projectID = ""
		if body.Project.value != nil {
			p.projectID = body.Project.value.ID
		}
	}
	if p.hasEnd && p.end <= p.start {
		return http.StatusUnprocessableEntity, "The start of the period must be before its end.", nil
	}
	if p.hasEnd && p.end-p.start > maxPeriodLength {
		return http.StatusUnprocessableEntity, "The period is too long.", nil
	}
	if p.kind == "BREAK" && p.projectID != "" {
		return http.StatusUnprocessableEntity, "A break cannot be assigned to a project.", nil
	}
	for _, o := range c.attendance {
		if o.id != p.id && o.personID == p.personID && o.start < endKey(p) && p.start < endKey(o) {
			return http.StatusUnprocessableEntity, "The period overlaps with an existing attendance period.", map[string]string{"overlapping_id": o.id}
		}
	}
	p.attribution = civil(p.start/oneDay + civilEpochOffset)
	return 0, "", nil
}

// handleCreateAttendance implements POST /v2/attendance-periods → 201.
// Approval is required unless skip_approval=true (v2 default false).
func (s *Server) handleCreateAttendance(w http.ResponseWriter, r *http.Request) {
	var body attendanceBody
	if err := decodeBody(r, w, &body); err != nil {
		s.badRequest(w, "The request body is not valid JSON.", nil)
		return
	}
	skip := r.URL.Query().Get("skip_approval") == "true"
	now := s.now().Unix()
	base := s.baseURL(r)
	s.mu.Lock()
	p := &attendancePeriod{id: s.newAttendanceID(), status: "PENDING", createdAt: now, updatedAt: now}
	if skip {
		p.status = "CONFIRMED"
	}
	if status, msg, meta := s.applyAttendance(p, body, true); status != 0 {
		s.mu.Unlock()
		s.writeAttendanceError(w, status, msg, meta)
		return
	}
	s.data.attendance = append(s.data.attendance, p)
	s.data.attendanceBy[p.id] = p
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, createdObject{ID: p.id, Meta: metaLinks{links{Self: link{base + "/v2/attendance-periods/" + p.id}}}})
}

func (s *Server) writeAttendanceError(w http.ResponseWriter, status int, msg string, meta map[string]string) {
	if status == http.StatusBadRequest {
		s.badRequest(w, msg, meta)
		return
	}
	s.writeProblemMeta(w, status, "Unprocessable entity", msg, "common.unprocessable_entity", meta)
}

// newAttendanceID draws a UUID; called with s.mu held.
func (s *Server) newAttendanceID() string {
	for {
		s.attendanceSeq++
		id := newUUID(newRNG(s.opts.Seed^int64(s.attendanceSeq), 0xa77e1d))
		if _, dup := s.data.attendanceBy[id]; !dup {
			return id
		}
	}
}

// handlePatchAttendance implements PATCH /v2/attendance-periods/{id} and
// answers with the updated period [inf].
func (s *Server) handlePatchAttendance(w http.ResponseWriter, r *http.Request) {
	var body attendanceBody
	if err := decodeBody(r, w, &body); err != nil {
		s.badRequest(w, "The request body is not valid JSON.", nil)
		return
	}
	base := s.baseURL(r)
	s.mu.Lock()
	p := s.data.attendanceBy[r.PathValue("id")]
	if p == nil {
		s.mu.Unlock()
		s.notFound(w)
		return
	}
	cp := *p
	if status, msg, meta := s.applyAttendance(&cp, body, false); status != 0 {
		s.mu.Unlock()
		s.writeAttendanceError(w, status, msg, meta)
		return
	}
	cp.updatedAt = s.now().Unix()
	*p = cp
	out := s.attendanceWire(p, base)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// handleDeleteAttendance implements DELETE /v2/attendance-periods/{id} → 204 [inf].
func (s *Server) handleDeleteAttendance(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	p := s.data.attendanceBy[id]
	if p != nil {
		delete(s.data.attendanceBy, id)
		s.data.attendance = slices.DeleteFunc(s.data.attendance, func(o *attendancePeriod) bool { return o == p })
	}
	s.mu.Unlock()
	if p == nil {
		s.notFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
