package personio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

const (
	pathTimeOffTypes   = "/v1/company/time-off-types"
	pathTimeOffs       = "/v1/company/time-offs"
	maxTimeOffPageSize = 200
)

// v1 wire types of time-offs (NOTES.md §6). Every leaf is lenient.

type v1TimeOffType struct {
	ID                     flexInt    `json:"id"`
	Name                   flexString `json:"name"`
	Category               flexString `json:"category"`
	Unit                   flexString `json:"unit"`
	ApprovalRequired       flexBool   `json:"approval_required"`
	HalfDayRequestsEnabled flexBool   `json:"half_day_requests_enabled"`
	CertificationRequired  flexBool   `json:"certification_required"`
}

// v1Attribute is {"label":…,"value":…} or a bare value.
type v1Attribute struct{ raw json.RawMessage }

func (a *v1Attribute) UnmarshalJSON(b []byte) error {
	a.raw = append(a.raw[:0], b...)
	return nil
}

// value returns the attribute's value JSON.
func (a v1Attribute) value() []byte {
	b := bytes.TrimSpace(a.raw)
	if len(b) == 0 || b[0] != '{' {
		return b
	}
	var obj struct {
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(b, &obj) != nil {
		return nil
	}
	return obj.Value
}

// v1Object is {"type":"…","attributes":{…}}; attributes may be missing, null,
// "" or [] (none).
type v1Object[T any] struct {
	Attributes T
	bad        string
}

func (o *v1Object[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		switch string(b) {
		case "null", `""`, "[]":
		default:
			o.bad = "expected an object, got " + jsonKindName(b[0])
		}
		return nil
	}
	var wrapper struct {
		Attributes json.RawMessage `json:"attributes"`
	}
	if err := json.Unmarshal(b, &wrapper); err != nil {
		o.bad = "unreadable object"
		return nil
	}
	src := wrapper.Attributes
	if len(src) == 0 || string(src) == "null" {
		src = b // a flat object
	}
	if err := json.Unmarshal(src, &o.Attributes); err != nil {
		o.bad = "unreadable attributes"
	}
	return nil
}

type v1TimeOff struct {
	ID           flexInt    `json:"id"`
	Status       flexString `json:"status"`
	Comment      flexString `json:"comment"`
	StartDate    flexString `json:"start_date"`
	EndDate      flexString `json:"end_date"`
	DaysCount    flexNumber `json:"days_count"`
	HalfDayStart flexBool   `json:"half_day_start"`
	HalfDayEnd   flexBool   `json:"half_day_end"`
	TimeOffType  v1Object[struct {
		ID       flexInt    `json:"id"`
		Name     flexString `json:"name"`
		Category flexString `json:"category"`
	}] `json:"time_off_type"`
	Employee v1Object[struct {
		ID v1Attribute `json:"id"`
	}] `json:"employee"`
	Certificate struct {
		Status flexString `json:"status"`
	} `json:"certificate"`
	CreatedBy flexString `json:"created_by"`
	CreatedAt flexString `json:"created_at"`
	UpdatedAt flexString `json:"updated_at"`
}

// v1TimeOffItem is {"type":"TimeOffPeriod","attributes":{…}}. A record of
// the wrong shape is kept with its problem instead of failing the page.
type v1TimeOffItem struct {
	Attributes v1TimeOff
	bad        string
}

func (it *v1TimeOffItem) UnmarshalJSON(b []byte) error {
	var wrapper struct {
		Attributes json.RawMessage `json:"attributes"`
	}
	if err := json.Unmarshal(b, &wrapper); err != nil {
		it.bad = "the record is not an object"
		return nil
	}
	if err := json.Unmarshal(wrapper.Attributes, &it.Attributes); err != nil {
		it.bad = "unreadable attributes"
	}
	return nil
}

type v1TimeOffPage struct {
	Success  *bool `json:"success"`
	Metadata struct {
		TotalElements flexInt `json:"total_elements"`
		CurrentPage   flexInt `json:"current_page"`
		TotalPages    flexInt `json:"total_pages"`
	} `json:"metadata"`
	Data []v1TimeOffItem `json:"data"`
}

// decodeTimeOffPage reads a time-off list response.
func decodeTimeOffPage(r io.Reader, loc *time.Location, z zones) ([]hris.TimeOff, v1TimeOffPage, error) {
	var page v1TimeOffPage
	if err := json.NewDecoder(r).Decode(&page); err != nil {
		return nil, page, err
	}
	if page.Success != nil && !*page.Success {
		return nil, page, errNotSuccess
	}
	out := make([]hris.TimeOff, 0, len(page.Data))
	for i := range page.Data {
		out = append(out, page.Data[i].timeOff(loc, z))
	}
	return out, page, nil
}

func (it *v1TimeOffItem) timeOff(loc *time.Location, z zones) hris.TimeOff {
	var w warnings
	w.add("record", it.bad)
	a := &it.Attributes
	t := hris.TimeOff{
		ID:                a.ID.v,
		Status:            hris.TimeOffStatus(a.Status.v),
		Comment:           a.Comment.v,
		DaysCount:         a.DaysCount.v,
		HalfDayStart:      a.HalfDayStart.v,
		HalfDayEnd:        a.HalfDayEnd.v,
		TypeID:            a.TimeOffType.Attributes.ID.v,
		TypeName:          a.TimeOffType.Attributes.Name.v,
		TypeCategory:      a.TimeOffType.Attributes.Category.v,
		CreatedBy:         a.CreatedBy.v,
		CertificateStatus: a.Certificate.Status.v,
	}
	w.add("id", a.ID.bad)
	w.add("status", a.Status.bad)
	w.add("days_count", a.DaysCount.bad)
	w.add("half_day_start", a.HalfDayStart.bad)
	w.add("half_day_end", a.HalfDayEnd.bad)
	w.add("time_off_type", a.TimeOffType.bad)
	w.add("employee", a.Employee.bad)
	var eid flexInt
	_ = eid.UnmarshalJSON(a.Employee.Attributes.ID.value())
	t.EmployeeID = eid.v
	w.add("employee.id", eid.bad)
	t.Start = dateField(&w, "start_date", a.StartDate, z)
	t.End = dateField(&w, "end_date", a.EndDate, z)
	t.CreatedAt = timeField(&w, "created_at", a.CreatedAt, loc, z)
	t.UpdatedAt = timeField(&w, "updated_at", a.UpdatedAt, loc, z)
	if t.ID == 0 {
		w.add("id", "the record has no usable id")
	}
	t.Warnings = w
	return t
}

func dateField(w *warnings, name string, s flexString, z zones) hris.Date {
	w.add(name, s.bad)
	if s.v == "" {
		return hris.Date{}
	}
	d, ok := parseCivilDate(s.v, z)
	if !ok {
		w.add(name, fmt.Sprintf("%q is not a date", truncate(s.v, 40)))
	}
	return d
}

func timeField(w *warnings, name string, s flexString, loc *time.Location, z zones) time.Time {
	w.add(name, s.bad)
	if s.v == "" {
		return time.Time{}
	}
	t, ok := parseDateTime(s.v, loc, z)
	if !ok {
		w.add(name, fmt.Sprintf("%q is not a date-time", truncate(s.v, 40)))
	}
	return t
}

// ListTimeOffTypes returns every time-off type.
func (c *Client) ListTimeOffTypes(ctx context.Context) ([]hris.TimeOffType, error) {
	const limit = 200
	var out []hris.TimeOffType
	// time-off-types documents a record offset (NOTES.md §4.1).
	for offset := 0; ; {
		var resp struct {
			Data []v1Object[v1TimeOffType] `json:"data"`
		}
		err := c.do(ctx, &request{
			op: "list time-off types", method: http.MethodGet, path: pathTimeOffTypes,
			query: url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}},
			auth:  authV1, safe: true,
		}, decodeJSON(&resp))
		if err != nil {
			return nil, err
		}
		for _, o := range resp.Data {
			a := o.Attributes
			if a.ID.v == 0 {
				continue
			}
			out = append(out, hris.TimeOffType{
				ID: a.ID.v, Name: a.Name.v, Category: a.Category.v, Unit: a.Unit.v,
				ApprovalRequired: a.ApprovalRequired.v, HalfDaysAllowed: a.HalfDayRequestsEnabled.v,
				CertificateRequired: a.CertificationRequired.v,
			})
		}
		if len(resp.Data) < limit {
			return out, nil
		}
		offset += len(resp.Data)
	}
}

// ListTimeOffs calls fn with each page of time-offs. Time-offs are paged by
// 1-based page number, not record offset (NOTES.md §4.1, §11.3): offset=0
// and offset=1 are the same page, so iteration starts at 1.
func (c *Client) ListTimeOffs(ctx context.Context, q hris.TimeOffQuery, fn func(page []hris.TimeOff) error) error {
	limit := q.PageSize
	if limit <= 0 || limit > maxTimeOffPageSize {
		limit = maxTimeOffPageSize
	}
	base := url.Values{}
	setDate(base, "start_date", q.Start)
	setDate(base, "end_date", q.End)
	setDate(base, "updated_from", q.UpdatedFrom)
	setDate(base, "updated_to", q.UpdatedTo)
	for _, id := range q.EmployeeIDs {
		// Repeated keys; a comma list is rejected (NOTES.md §11.10).
		base.Add("employees[]", strconv.FormatInt(id, 10))
	}
	z := make(zones, 4)
	var prev map[int64]struct{}
	for pageNo := 1; ; pageNo++ {
		query := cloneValues(base)
		query.Set("limit", strconv.Itoa(limit))
		query.Set("offset", strconv.Itoa(pageNo))
		var items []hris.TimeOff
		var meta v1TimeOffPage
		err := c.do(ctx, &request{
			op: "list time-offs", method: http.MethodGet, path: pathTimeOffs, query: query,
			auth: authV1, safe: true,
		}, func(resp *http.Response) error {
			var err error
			items, meta, err = decodeTimeOffPage(resp.Body, c.cfg.Location, z)
			return err
		})
		if err != nil {
			return err
		}
		n := len(items)
		// Drop records the previous page already delivered (a page that
		// shifted because records were added meanwhile).
		seen := make(map[int64]struct{}, n)
		kept := items[:0]
		for _, t := range items {
			if _, dup := prev[t.ID]; dup && t.ID != 0 {
				continue
			}
			seen[t.ID] = struct{}{}
			kept = append(kept, t)
		}
		if n > 0 && len(kept) == 0 {
			return c.apiError("list time-offs", http.MethodGet, pathTimeOffs,
				"page %d repeated the page before", pageNo)
		}
		prev = seen
		if len(kept) > 0 {
			if err := fn(kept); err != nil {
				return err
			}
		}
		total := meta.Metadata.TotalPages
		switch {
		case n < limit:
			return nil
		case total.set && total.v > 0 && int64(pageNo) >= total.v:
			return nil
		}
	}
}

func setDate(v url.Values, key string, d hris.Date) {
	if !d.IsZero() {
		v.Set(key, d.String())
	}
}

// CreateTimeOff creates a day-based time-off.
//
// A create that may have reached Personio without a readable answer (a
// timeout, a dropped connection, a 5xx) is not blindly repeated: the client
// first looks for a time-off of the same employee, type and days, returns it
// if found, and only otherwise sends the create again. If the check fails
// too, the error matches hris.ErrAmbiguous.
func (c *Client) CreateTimeOff(ctx context.Context, t hris.NewTimeOff) (hris.TimeOff, error) {
	if t.EmployeeID <= 0 || t.TypeID <= 0 || t.Start.IsZero() || t.End.IsZero() {
		return hris.TimeOff{}, &hris.Error{Provider: providerName, Kind: hris.ErrInvalid, Op: "create time-off",
			Message: "employee, time-off type, start and end date are required"}
	}
	if t.End.Before(t.Start) {
		return hris.TimeOff{}, &hris.Error{Provider: providerName, Kind: hris.ErrInvalid, Op: "create time-off",
			Message: "the end date is before the start date"}
	}
	form := url.Values{
		"employee_id":      {strconv.FormatInt(t.EmployeeID, 10)},
		"time_off_type_id": {strconv.FormatInt(t.TypeID, 10)},
		"start_date":       {t.Start.String()},
		"end_date":         {t.End.String()},
		"half_day_start":   {strconv.FormatBool(t.HalfDayStart)},
		"half_day_end":     {strconv.FormatBool(t.HalfDayEnd)},
		"skip_approval":    {strconv.FormatBool(t.SkipApproval)},
	}
	if t.Comment != "" {
		form.Set("comment", t.Comment)
	}
	req := &request{
		op: "create time-off", method: http.MethodPost, path: pathTimeOffs,
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded", auth: authV1,
	}
	var created hris.TimeOff
	handle := func(resp *http.Response) error {
		var body struct {
			Data v1TimeOffItem `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return err
		}
		created = body.Data.timeOff(c.cfg.Location, make(zones, 2))
		if created.ID == 0 {
			return errors.New("no id in the created time-off")
		}
		return nil
	}
	find := func(ctx context.Context) (bool, error) {
		found, err := c.findTimeOff(ctx, t)
		if found != nil {
			created = *found
		}
		return found != nil, err
	}
	err := c.create(ctx, req, handle, find)
	return created, err
}

// findTimeOff looks for an existing time-off matching t.
func (c *Client) findTimeOff(ctx context.Context, t hris.NewTimeOff) (*hris.TimeOff, error) {
	var found *hris.TimeOff
	errFound := errors.New("found")
	err := c.ListTimeOffs(ctx, hris.TimeOffQuery{Start: t.Start, End: t.End, EmployeeIDs: []int64{t.EmployeeID}},
		func(page []hris.TimeOff) error {
			for i := range page {
				p := page[i]
				if p.EmployeeID == t.EmployeeID && p.TypeID == t.TypeID && p.Start == t.Start && p.End == t.End &&
					p.HalfDayStart == t.HalfDayStart && p.HalfDayEnd == t.HalfDayEnd {
					found = &p
					return errFound
				}
			}
			return nil
		})
	if errors.Is(err, errFound) {
		return found, nil
	}
	return nil, err
}

// create sends a non-idempotent request. When the outcome is ambiguous it
// runs find before any retry; see CreateTimeOff.
func (c *Client) create(ctx context.Context, req *request, handle func(*http.Response) error, find func(context.Context) (bool, error)) error {
	for attempt := 0; ; attempt++ {
		err := c.do(ctx, req, handle)
		if err == nil || !errors.Is(err, hris.ErrAmbiguous) {
			return err
		}
		found, ferr := find(ctx)
		if ferr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err // still ambiguous
		}
		if found {
			return nil
		}
		if attempt >= c.cfg.MaxRetries {
			var he *hris.Error
			if errors.As(err, &he) {
				// Checked: nothing was created, so the failure is no longer
				// ambiguous.
				cp := *he
				cp.Ambiguous = false
				return &cp
			}
			return err
		}
		if serr := sleep(ctx, backoff(c.cfg.BackoffBase, c.cfg.BackoffMax, attempt+1, randJitter)); serr != nil {
			return serr
		}
	}
}

// DeleteTimeOff deletes a time-off; hris.ErrNotFound if there is none. A
// delete that is retried after a lost answer and then finds nothing counts
// as done.
func (c *Client) DeleteTimeOff(ctx context.Context, id int64) error {
	return c.delete(ctx, "delete time-off", pathTimeOffs+"/"+strconv.FormatInt(id, 10), authV1)
}

func (c *Client) delete(ctx context.Context, op, path string, auth authKind) error {
	return c.do(ctx, &request{op: op, method: http.MethodDelete, path: path, auth: auth, safe: true}, nil)
}
