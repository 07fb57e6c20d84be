package sandbox_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
)

func TestTimeOffsPagination(t *testing.T) {
	a := start(t, func(o *sandbox.Options) { o.Employees = 400 })
	tok := a.fullToken()
	total := a.srv.TimeOffCount()
	if total <= 200 {
		t.Fatalf("want more than one page of time-offs, have %d", total)
	}
	list := func(query string, opts ...reqOpt) timeOffList {
		t.Helper()
		r := a.get("/v1/company/time-offs"+query, tok, opts...)
		expectStatus(t, r, 200)
		return decode[timeOffList](t, r.body)
	}
	def := list("")
	if len(def.Data) != 200 || def.Limit != 200 || def.Metadata.CurrentPage != 1 || def.Metadata.TotalElements != total {
		t.Fatalf("default page: %d items, limit %d, meta %+v", len(def.Data), def.Limit, def.Metadata)
	}

	tests := []struct {
		name      string
		query     string
		wantPage  int
		wantFirst int // index into the full list
		wantCount int
	}{
		{"offset 0 is page 1", "?limit=50&offset=0", 1, 0, 50},
		{"offset 1 is page 1", "?limit=50&offset=1", 1, 0, 50},
		{"offset 2 is page 2", "?limit=50&offset=2", 2, 50, 50},
		{"offset 4 is page 4", "?limit=50&offset=4", 4, 150, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := list(tt.query)
			if l.Metadata.CurrentPage != tt.wantPage || len(l.Data) != tt.wantCount {
				t.Fatalf("page %d with %d items, want page %d with %d", l.Metadata.CurrentPage, len(l.Data), tt.wantPage, tt.wantCount)
			}
			if l.Data[0].Attributes.ID != def.Data[tt.wantFirst].Attributes.ID {
				t.Fatalf("first id %d, want %d", l.Data[0].Attributes.ID, def.Data[tt.wantFirst].Attributes.ID)
			}
			if l.Metadata.TotalPages != (total+49)/50 {
				t.Fatalf("total_pages %d", l.Metadata.TotalPages)
			}
		})
	}

	errorsTests := []struct {
		name, query, message string
	}{
		{"limit over 200", "?limit=201", "The limit must be between 1 and 200."},
		{"comma list", "?employees[]=1001,1002", "the employees must be an array"},
		{"bare key", "?employees=1001", "the employees must be an array"},
		{"bad date", "?start_date=10.06.2025", "The dates must match the format Y-m-d."},
	}
	for _, tt := range errorsTests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.get("/v1/company/time-offs"+tt.query, tok, invalidRequest)
			expectStatus(t, r, http.StatusBadRequest)
			if e := decode[v1Error](t, r.body); e.Error.Message != tt.message {
				t.Fatalf("error %s, want %q", r.body, tt.message)
			}
		})
	}

	t.Run("employees[] repeated keys", func(t *testing.T) {
		l := list("?employees[]=1001&employees[]=1002")
		want := len(a.srv.TimeOffs(1001)) + len(a.srv.TimeOffs(1002))
		if l.Metadata.TotalElements != want {
			t.Fatalf("%d time-offs, want %d", l.Metadata.TotalElements, want)
		}
		for _, d := range l.Data {
			id := decode[int](t, d.Attributes.Employee.Attributes["id"].Value)
			if id != 1001 && id != 1002 {
				t.Fatalf("time-off of employee %d", id)
			}
		}
	})

	t.Run("date range overlaps", func(t *testing.T) {
		from, to := "2025-06-02", "2025-06-06"
		l := list("?start_date=" + from + "&end_date=" + to)
		want := 0
		for _, to2 := range a.srv.TimeOffs(0) {
			if to2.EndDate >= from && to2.StartDate <= to {
				want++
			}
		}
		if l.Metadata.TotalElements != want || want == 0 {
			t.Fatalf("%d time-offs in range, want %d (> 0)", l.Metadata.TotalElements, want)
		}
	})

	t.Run("updated range", func(t *testing.T) {
		created, err := a.srv.AddTimeOff(sandbox.TimeOffInput{EmployeeID: 1003, TimeOffTypeID: 113440, StartDate: "2026-03-02", EndDate: "2026-03-02"})
		if err != nil {
			t.Fatal(err)
		}
		today := testNow.Format(time.DateOnly)
		l := list("?updated_from=" + today + "&updated_to=" + today)
		found := false
		for _, d := range l.Data {
			found = found || d.Attributes.ID == created.ID
		}
		if !found {
			t.Fatalf("time-off %d created today not in updated range (%d results)", created.ID, len(l.Data))
		}
	})
}

func TestHalfDayEncoding(t *testing.T) {
	for _, asInt := range []bool{true, false} {
		t.Run(map[bool]string{true: "0/1", false: "booleans"}[asInt], func(t *testing.T) {
			a := start(t, func(o *sandbox.Options) { o.HalfDayAsInt = asInt })
			l := decode[timeOffList](t, a.get("/v1/company/time-offs?limit=20", a.fullToken()).body)
			for _, d := range l.Data {
				v := string(d.Attributes.HalfDayStart)
				isInt := v == "0" || v == "1"
				isBool := v == "true" || v == "false"
				if asInt && !isInt || !asInt && !isBool {
					t.Fatalf("half_day_start %s", v)
				}
			}
		})
	}
}

func TestTimeOffWrites(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	valid := url.Values{
		"employee_id": {"1005"}, "time_off_type_id": {"113437"}, "start_date": {"2026-02-02"},
		"end_date": {"2026-02-06"}, "half_day_start": {"false"}, "half_day_end": {"true"}, "comment": {"Sommerurlaub"},
	}
	r := a.form(http.MethodPost, "/v1/company/time-offs", tok, valid)
	expectStatus(t, r, 200)
	created := decode[struct {
		Success bool `json:"success"`
		Data    struct {
			Attributes struct {
				ID        int     `json:"id"`
				CreatedBy string  `json:"created_by"`
				DaysCount float64 `json:"days_count"`
				Status    string  `json:"status"`
			} `json:"attributes"`
		} `json:"data"`
	}](t, r.body)
	if created.Data.Attributes.CreatedBy != "API" || created.Data.Attributes.DaysCount != 4.5 || created.Data.Attributes.Status != "approved" {
		t.Fatalf("created %s", r.body)
	}
	id := itoa(created.Data.Attributes.ID)
	expectStatus(t, a.get("/v1/company/time-offs/"+id, tok), 200)

	with := func(key, value string) url.Values {
		v := url.Values{}
		for k, vals := range valid {
			v[k] = vals
		}
		if value == "" {
			v.Del(key)
		} else {
			v.Set(key, value)
		}
		return v
	}
	tests := []struct {
		name    string
		values  url.Values
		invalid bool
		status  int
		message string
	}{
		{"overlap", with("comment", "again"), false, 400, "Error when trying to insert absence period"},
		{"missing field", with("half_day_end", ""), true, 422, "The given data failed to pass validation."},
		{"end before start", with("end_date", "2026-02-01"), false, 422, "The given data failed to pass validation."},
		{"unknown type", with("time_off_type_id", "1"), false, 404, "Time-off type not found."},
		{"unknown employee", with("employee_id", "1"), false, 404, "Employee not found."},
		{"hour-unit type", with("time_off_type_id", "113443"), false, 400, "Error when trying to insert absence period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []reqOpt
			if tt.invalid {
				opts = append(opts, invalidRequest)
			}
			r := a.form(http.MethodPost, "/v1/company/time-offs", tok, tt.values, opts...)
			expectStatus(t, r, tt.status)
			e := decode[v1Error](t, r.body)
			if e.Error.Message != tt.message {
				t.Fatalf("error %s, want %q", r.body, tt.message)
			}
			if tt.status == 422 && !bytes.Contains(e.Error.ErrorData, []byte("_")) {
				t.Fatalf("422 without error_data: %s", r.body)
			}
		})
	}

	t.Run("skip_approval=false makes it pending", func(t *testing.T) {
		v := with("start_date", "2026-10-05")
		v.Set("end_date", "2026-10-06")
		v.Set("skip_approval", "false")
		r := a.form(http.MethodPost, "/v1/company/time-offs", tok, v)
		expectStatus(t, r, 200)
		if !bytes.Contains(r.body, []byte(`"status":"pending"`)) {
			t.Fatalf("body %s", r.body)
		}
	})

	t.Run("delete", func(t *testing.T) {
		r := a.do(http.MethodDelete, "/v1/company/time-offs/"+id, nil, bearerAuth(tok))
		expectStatus(t, r, 200)
		if !bytes.Contains(r.body, []byte("The absence period was deleted.")) {
			t.Fatalf("body %s", r.body)
		}
		r = a.do(http.MethodDelete, "/v1/company/time-offs/"+id, nil, bearerAuth(tok))
		expectStatus(t, r, http.StatusNotFound)
		if e := decode[v1Error](t, r.body); e.Error.Message != "The absence period was not found." {
			t.Fatalf("body %s", r.body)
		}
		r = a.do(http.MethodDelete, "/v1/company/time-offs/abc", nil, bearerAuth(tok), invalidRequest)
		expectStatus(t, r, http.StatusBadRequest)
		expectStatus(t, a.get("/v1/company/time-offs/"+id, tok), http.StatusNotFound)
	})
}

func TestTimeOffTypes(t *testing.T) {
	a := start(t)
	r := a.get("/v1/company/time-off-types", a.fullToken())
	expectStatus(t, r, 200)
	types := decode[struct {
		Data []struct {
			Type       string `json:"type"`
			Attributes struct {
				ID   int    `json:"id"`
				Name string `json:"name"`
				Unit string `json:"unit"`
			} `json:"attributes"`
		} `json:"data"`
	}](t, r.body).Data
	names := map[string]bool{}
	for _, ty := range types {
		names[ty.Attributes.Name] = true
	}
	for _, want := range []string{"Paid vacation", "Sick leave", "Parental leave", "Home office", "Unpaid vacation"} {
		if !names[want] {
			t.Errorf("time-off type %q missing", want)
		}
	}
}
