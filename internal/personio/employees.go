package personio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

const (
	pathEmployees       = "/v1/company/employees"
	pathEmployeeAttrs   = "/v1/company/employees/attributes"
	maxEmployeePageSize = 100 // enforced by Personio since 2025-01-31 (NOTES.md §4.1)
	maxPictureBytes     = 10 << 20
)

// updatedSinceOverlap widens every updated_since window. The parameter has
// no time zone and Personio does not document how it reads it (NOTES.md
// §5.2, §11.6); sending it in Config.Location an hour early means a change is
// never missed because of an offset or clock skew, at the price of a few
// employees read twice [inf].
const updatedSinceOverlap = time.Hour

// ListEmployees calls fn with each page of employees. Pages are read with
// record offsets and at most 100 employees each; the listing ends on a short
// page or when the reported total is reached.
func (c *Client) ListEmployees(ctx context.Context, q hris.EmployeeQuery, fn func(page []hris.Employee) error) error {
	limit := q.PageSize
	if limit <= 0 || limit > maxEmployeePageSize {
		limit = maxEmployeePageSize
	}
	base := url.Values{}
	if q.UpdatedSince != nil {
		since := q.UpdatedSince.Add(-updatedSinceOverlap).In(c.cfg.Location)
		base.Set("updated_since", since.Format("2006-01-02T15:04:05"))
	}
	if q.Email != "" {
		base.Set("email", q.Email)
	}
	for _, a := range q.Attributes {
		base.Add("attributes[]", a)
	}
	dec := newEmployeeDecoder(c.cfg.Location, expectedFields(q.Attributes))
	var prevFirst int64
	for offset := 0; ; {
		query := cloneValues(base)
		query.Set("limit", strconv.Itoa(limit))
		query.Set("offset", strconv.Itoa(offset))
		page := make([]hris.Employee, 0, limit)
		var meta pageMeta
		err := c.do(ctx, &request{
			op: "list employees", method: http.MethodGet, path: pathEmployees, query: query,
			auth: authV1, safe: true,
		}, func(resp *http.Response) error {
			var err error
			page = page[:0]
			page, meta, err = dec.decodePage(resp.Body, page)
			return err
		})
		if err != nil {
			return err
		}
		if len(page) > 0 && offset > 0 && page[0].ID != 0 && page[0].ID == prevFirst {
			return c.apiError("list employees", http.MethodGet, pathEmployees,
				"offset %d returned the same page as the one before", offset)
		}
		if len(page) > 0 {
			prevFirst = page[0].ID
			if err := fn(page); err != nil {
				return err
			}
		}
		offset += len(page)
		switch {
		case len(page) < limit:
			return nil
		case meta.known && meta.TotalElements > 0 && int64(offset) >= meta.TotalElements:
			return nil
		}
	}
}

// GetEmployee returns one employee; hris.ErrNotFound if there is none.
func (c *Client) GetEmployee(ctx context.Context, id int64) (hris.Employee, error) {
	var e hris.Employee
	dec := newEmployeeDecoder(c.cfg.Location, allFields)
	err := c.do(ctx, &request{
		op: "get employee", method: http.MethodGet, path: pathEmployees + "/" + strconv.FormatInt(id, 10),
		auth: authV1, safe: true,
	}, func(resp *http.Response) error {
		var err error
		e, err = dec.decodeOne(resp.Body)
		return err
	})
	return e, err
}

// ReadableAttributes lists the employee attributes the credential may read.
func (c *Client) ReadableAttributes(ctx context.Context) ([]hris.Attribute, error) {
	var resp struct {
		Data []struct {
			Key         flexString      `json:"key"`
			Label       flexString      `json:"label"`
			Type        flexString      `json:"type"`
			UniversalID flexString      `json:"universal_id"`
			Options     json.RawMessage `json:"options"`
		} `json:"data"`
	}
	err := c.do(ctx, &request{
		op: "list readable attributes", method: http.MethodGet, path: pathEmployeeAttrs,
		auth: authV1, safe: true,
	}, decodeJSON(&resp))
	if err != nil {
		return nil, err
	}
	out := make([]hris.Attribute, 0, len(resp.Data))
	for _, a := range resp.Data {
		if a.Key.v == "" {
			continue
		}
		out = append(out, hris.Attribute{
			Key: a.Key.v, Label: a.Label.v, Type: a.Type.v, UniversalID: a.UniversalID.v,
			Options: stringsOf(a.Options),
		})
	}
	return out, nil
}

// stringsOf reads an array of options, which may be strings or numbers.
func stringsOf(raw json.RawMessage) []string {
	var items []flexString
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it.v != "" {
			out = append(out, it.v)
		}
	}
	return out
}

// ProfilePicture returns the employee's picture at the given width.
// Personio answers 404 when there is no picture or the "Profile Picture"
// attribute is not readable; both are hris.ErrNotFound.
func (c *Client) ProfilePicture(ctx context.Context, employeeID int64, width int) (hris.Picture, error) {
	if width <= 0 {
		width = 200
	}
	var pic hris.Picture
	path := fmt.Sprintf("%s/%d/profile-picture/%d", pathEmployees, employeeID, width)
	err := c.do(ctx, &request{
		op: "get profile picture", method: http.MethodGet, path: path,
		accept: "image/*", auth: authV1, safe: true,
	}, func(resp *http.Response) error {
		ct := resp.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(ct, "image/") {
			return fmt.Errorf("expected an image, got %q", ct)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxPictureBytes+1))
		if err != nil {
			return err
		}
		if len(data) > maxPictureBytes {
			return errors.New("picture larger than 10 MiB")
		}
		if len(data) == 0 {
			return errors.New("empty picture")
		}
		if ct == "" {
			ct = http.DetectContentType(data)
		}
		pic = hris.Picture{ContentType: ct, Data: data}
		return nil
	})
	return pic, err
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+2)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
