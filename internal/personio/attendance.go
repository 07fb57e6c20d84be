package personio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

// Tracked time uses the v2 attendance periods: the v1 attendances are past
// their final deprecation date (NOTES.md §7, §10).

const (
	pathAttendance        = "/v2/attendance-periods"
	maxAttendancePageSize = 100
	// v2 date-times are wall-clock times without an offset (NOTES.md §8.3,
	// §8.4); they are written and read in Config.Location.
	wallClock = "2006-01-02T15:04:05"
)

// v2 wire types (NOTES.md §8.4).

type v2Ref struct {
	ID flexString `json:"id"`
}

type v2DateTime struct {
	DateTime flexString `json:"date_time"`
}

type v2Period struct {
	ID              flexString  `json:"id"`
	Person          v2Ref       `json:"person"`
	Type            flexString  `json:"type"`
	Start           v2DateTime  `json:"start"`
	End             *v2DateTime `json:"end"`
	AttributionDate flexString  `json:"attribution_date"`
	Status          flexString  `json:"status"`
	Project         *v2Ref      `json:"project"`
	Comment         flexString  `json:"comment"`
	CreatedAt       flexString  `json:"created_at"`
	UpdatedAt       flexString  `json:"updated_at"`
}

// v2PeriodItem keeps a period of the wrong shape as a warning.
type v2PeriodItem struct {
	v2Period
	bad string
}

func (p *v2PeriodItem) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &p.v2Period); err != nil {
		p.bad = "unreadable record"
	}
	return nil
}

type v2PeriodPage struct {
	Data []v2PeriodItem `json:"_data"`
	Meta struct {
		Links struct {
			Next *struct {
				Href string `json:"href"`
			} `json:"next"`
		} `json:"links"`
	} `json:"_meta"`
}

func (p *v2PeriodItem) period(loc *time.Location, z zones) hris.AttendancePeriod {
	var w warnings
	w.add("record", p.bad)
	out := hris.AttendancePeriod{
		ID:      p.ID.v,
		Type:    hris.AttendanceType(strings.ToUpper(p.Type.v)),
		Status:  hris.AttendanceStatus(strings.ToUpper(p.Status.v)),
		Comment: p.Comment.v,
	}
	if p.Person.ID.v != "" {
		id, err := strconv.ParseInt(strings.TrimSpace(p.Person.ID.v), 10, 64)
		if err != nil {
			w.add("person.id", fmt.Sprintf("%q is not a number", truncate(p.Person.ID.v, 40)))
		}
		out.PersonID = id
	}
	if p.Project != nil {
		out.ProjectID = p.Project.ID.v
	}
	out.Start = timeField(&w, "start.date_time", p.Start.DateTime, loc, z)
	if p.End != nil && p.End.DateTime.v != "" {
		end := timeField(&w, "end.date_time", p.End.DateTime, loc, z)
		if !end.IsZero() {
			out.End = &end
		}
	}
	out.AttributionDate = dateField(&w, "attribution_date", p.AttributionDate, z)
	out.CreatedAt = timeField(&w, "created_at", p.CreatedAt, loc, z)
	out.UpdatedAt = timeField(&w, "updated_at", p.UpdatedAt, loc, z)
	if out.ID == "" {
		w.add("id", "the record has no id")
	}
	out.Warnings = w
	return out
}

// ListAttendancePeriods calls fn with each page of attendance periods,
// following the cursor in _meta.links.next.href (absolute or relative).
func (c *Client) ListAttendancePeriods(ctx context.Context, q hris.AttendanceQuery, fn func(page []hris.AttendancePeriod) error) error {
	limit := q.PageSize
	if limit <= 0 || limit > maxAttendancePageSize {
		limit = maxAttendancePageSize
	}
	query := url.Values{"limit": {strconv.Itoa(limit)}}
	if len(q.IDs) > 0 {
		query.Set("id", strings.Join(q.IDs, ","))
	}
	if len(q.PersonIDs) > 0 {
		ids := make([]string, len(q.PersonIDs))
		for i, id := range q.PersonIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		query.Set("person.id", strings.Join(ids, ","))
	}
	if !q.StartFrom.IsZero() {
		query.Set("start.date_time.gte", c.wall(q.StartFrom))
	}
	if !q.StartTo.IsZero() {
		query.Set("start.date_time.lte", c.wall(q.StartTo))
	}
	if !q.UpdatedSince.IsZero() {
		// updated_at is an instant (responses carry UTC with Z), so the
		// filter is sent with an explicit offset [inf].
		query.Set("updated_at.gte", q.UpdatedSince.UTC().Format(time.RFC3339))
	}
	if q.Status != "" {
		query.Set("status", string(q.Status))
	}
	if q.ProjectID != "" {
		query.Set("project.id", q.ProjectID)
	}
	rawQuery := query.Encode()
	z := make(zones, 4)
	seen := map[string]bool{}
	for {
		var page v2PeriodPage
		err := c.do(ctx, &request{
			op: "list attendance periods", method: http.MethodGet, path: pathAttendance, rawQuery: rawQuery,
			auth: authV2, safe: true,
		}, decodeJSON(&page))
		if err != nil {
			return err
		}
		if len(page.Data) > 0 {
			out := make([]hris.AttendancePeriod, len(page.Data))
			for i := range page.Data {
				out[i] = page.Data[i].period(c.cfg.Location, z)
			}
			if err := fn(out); err != nil {
				return err
			}
		}
		if page.Meta.Links.Next == nil || page.Meta.Links.Next.Href == "" || len(page.Data) == 0 {
			return nil
		}
		next, err := c.nextQuery(page.Meta.Links.Next.Href)
		if err != nil {
			return err
		}
		// A next link that points back to a page already read would loop
		// forever (NOTES.md §11.14).
		if seen[next] || next == rawQuery {
			return c.apiError("list attendance periods", http.MethodGet, pathAttendance,
				"the next-page link repeats a page already read")
		}
		seen[next] = true
		rawQuery = next
	}
}

// nextQuery returns the query of a v2 next link. The link's host is ignored:
// requests only ever go to the configured base URL.
func (c *Client) nextQuery(href string) (string, error) {
	u, err := url.Parse(href)
	if err != nil {
		return "", c.apiError("list attendance periods", http.MethodGet, pathAttendance, "invalid next link")
	}
	if p := u.Path; p != "" && !strings.HasSuffix(p, pathAttendance) {
		return "", c.apiError("list attendance periods", http.MethodGet, pathAttendance,
			"the next link points to another endpoint")
	}
	if u.Query().Get("cursor") == "" {
		return "", c.apiError("list attendance periods", http.MethodGet, pathAttendance, "the next link has no cursor")
	}
	return u.RawQuery, nil
}

func (c *Client) wall(t time.Time) string { return t.In(c.cfg.Location).Format(wallClock) }

type v2PeriodBody struct {
	Person  *v2RefOut       `json:"person,omitempty"`
	Type    string          `json:"type"`
	Start   v2DateTimeOut   `json:"start"`
	End     *v2DateTimeOut  `json:"end"`
	Comment string          `json:"comment"`
	Project json.RawMessage `json:"project"`
}

type v2RefOut struct {
	ID string `json:"id"`
}

type v2DateTimeOut struct {
	DateTime string `json:"date_time"`
}

func (c *Client) periodBody(p hris.NewAttendancePeriod, withPerson bool) ([]byte, error) {
	if p.Start.IsZero() {
		return nil, errors.New("the start is required")
	}
	if p.End != nil && p.End.Before(p.Start) {
		return nil, errors.New("the end is before the start")
	}
	typ := p.Type
	if typ == "" {
		typ = hris.AttendanceWork
	}
	b := v2PeriodBody{Type: string(typ), Start: v2DateTimeOut{c.wall(p.Start)}, Comment: p.Comment, Project: json.RawMessage("null")}
	if withPerson {
		if p.PersonID <= 0 {
			return nil, errors.New("the person is required")
		}
		b.Person = &v2RefOut{ID: strconv.FormatInt(p.PersonID, 10)}
	}
	if p.End != nil {
		b.End = &v2DateTimeOut{c.wall(*p.End)}
	}
	if p.ProjectID != "" {
		pr, err := json.Marshal(v2RefOut{ID: p.ProjectID})
		if err != nil {
			return nil, err
		}
		b.Project = pr
	}
	return json.Marshal(b)
}

// CreateAttendancePeriod creates a period and returns its id. Like
// CreateTimeOff it checks for an existing identical period before repeating
// a create whose outcome is unknown.
func (c *Client) CreateAttendancePeriod(ctx context.Context, p hris.NewAttendancePeriod) (string, error) {
	body, err := c.periodBody(p, true)
	if err != nil {
		return "", &hris.Error{Provider: providerName, Kind: hris.ErrInvalid, Op: "create attendance period", Message: err.Error()}
	}
	req := &request{
		op: "create attendance period", method: http.MethodPost, path: pathAttendance,
		query: url.Values{"skip_approval": {strconv.FormatBool(p.SkipApproval)}},
		body:  body, contentType: "application/json", auth: authV2,
	}
	var id string
	handle := func(resp *http.Response) error {
		var out struct {
			ID   flexString `json:"id"`
			Data *struct {
				ID flexString `json:"id"`
			} `json:"_data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return err
		}
		id = out.ID.v
		if id == "" && out.Data != nil {
			id = out.Data.ID.v
		}
		if id == "" {
			return errors.New("no id in the created attendance period")
		}
		return nil
	}
	find := func(ctx context.Context) (bool, error) {
		found, err := c.findAttendancePeriod(ctx, p)
		if found != "" {
			id = found
		}
		return found != "", err
	}
	err = c.create(ctx, req, handle, find)
	return id, err
}

// findAttendancePeriod looks for a period of the person with the same type,
// start, end and comment.
func (c *Client) findAttendancePeriod(ctx context.Context, p hris.NewAttendancePeriod) (string, error) {
	typ := p.Type
	if typ == "" {
		typ = hris.AttendanceWork
	}
	start := p.Start.Truncate(time.Second)
	var found string
	errFound := errors.New("found")
	err := c.ListAttendancePeriods(ctx, hris.AttendanceQuery{
		PersonIDs: []int64{p.PersonID}, StartFrom: start, StartTo: start,
	}, func(page []hris.AttendancePeriod) error {
		for _, q := range page {
			sameEnd := (q.End == nil && p.End == nil) ||
				(q.End != nil && p.End != nil && q.End.Equal(p.End.Truncate(time.Second)))
			if q.PersonID == p.PersonID && q.Type == typ && q.Start.Equal(start) && sameEnd && q.Comment == p.Comment {
				found = q.ID
				return errFound
			}
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return found, nil
	}
	return "", err
}

// UpdateAttendancePeriod writes the full state p over the period (the person
// cannot change). Repeating it is harmless, so it is retried like a read.
func (c *Client) UpdateAttendancePeriod(ctx context.Context, id string, p hris.NewAttendancePeriod) error {
	body, err := c.periodBody(p, false)
	if err != nil {
		return &hris.Error{Provider: providerName, Kind: hris.ErrInvalid, Op: "update attendance period", Message: err.Error()}
	}
	return c.do(ctx, &request{
		op: "update attendance period", method: http.MethodPatch, path: pathAttendance + "/" + url.PathEscape(id),
		body: body, contentType: "application/json", auth: authV2, safe: true,
	}, nil)
}

// DeleteAttendancePeriod deletes a period; hris.ErrNotFound if there is none.
func (c *Client) DeleteAttendancePeriod(ctx context.Context, id string) error {
	return c.delete(ctx, "delete attendance period", pathAttendance+"/"+url.PathEscape(id), authV2)
}
