package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
)

func TestControlEmployees(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	fetch := func(id int) employeeResource {
		t.Helper()
		r := a.get("/v1/company/employees/"+itoa(id), tok)
		expectStatus(t, r, 200)
		return decode[struct {
			Data employeeResource `json:"data"`
		}](t, r.body).Data
	}

	a.clock.Advance(time.Hour)
	r := a.control(http.MethodPost, "/sandbox/employees", map[string]any{
		"first_name": "Jürgen", "last_name": "Müller", "email": "juergen.mueller@roster-demo.example",
		"team": "Platform", "department": "Engineering", "office": "Berlin", "subcompany": "Roster Demo GmbH",
		"position": "Staff Engineer", "supervisor_id": 1002, "hire_date": "2025-07-01", "employment_type": "internal",
		"cost_centers":         []map[string]any{{"name": "CC-100 Engineering", "percentage": 60}, {"name": "CC-900 Shared Services", "percentage": 40}},
		"weekly_working_hours": 38.5,
	})
	expectStatus(t, r, http.StatusCreated)
	hired := decode[sandbox.Employee](t, r.body)
	if hired.ID == 0 || hired.Status != "onboarding" || hired.WeeklyWorkingHours != "38.5" || len(hired.CostCenters) != 2 {
		t.Fatalf("hired %+v", hired)
	}
	e := fetch(hired.ID)
	if e.str(t, "first_name") != "Jürgen" || e.str(t, "status") != "onboarding" || e.str(t, "weekly_working_hours") != "38.5" {
		t.Fatalf("hired employee over the API: %v", e.Attributes["first_name"])
	}
	if lm := e.str(t, "last_modified_at"); !strings.HasPrefix(lm, "2025-06-10T13:00:00") {
		t.Fatalf("last_modified_at %s, want the clock's time (Berlin)", lm)
	}

	steps := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		check  func(e sandbox.Employee) bool
	}{
		{"patch", http.MethodPatch, "/sandbox/employees/" + itoa(hired.ID), map[string]any{"position": "Principal Engineer", "status": "active"}, 200,
			func(e sandbox.Employee) bool { return e.Position == "Principal Engineer" && e.Status == "active" }},
		{"transfer", http.MethodPost, "/sandbox/employees/" + itoa(hired.ID) + "/transfer", map[string]any{"team": "Payments", "supervisor_id": 1003}, 200,
			func(e sandbox.Employee) bool { return e.Team == "Payments" && *e.SupervisorID == 1003 }},
		{"terminate in the future", http.MethodPost, "/sandbox/employees/" + itoa(hired.ID) + "/terminate", map[string]any{"last_working_day": "2025-07-31"}, 200,
			func(e sandbox.Employee) bool {
				return e.LastWorkingDay == "2025-07-31" && e.TerminationDate == "2025-07-31" && e.Status == "active"
			}},
		{"terminate with status", http.MethodPost, "/sandbox/employees/" + itoa(hired.ID) + "/terminate",
			map[string]any{"last_working_day": "2025-07-31", "termination_date": "2025-08-31", "status": "inactive"}, 200,
			func(e sandbox.Employee) bool { return e.TerminationDate == "2025-08-31" && e.Status == "inactive" }},
		{"rehire", http.MethodPost, "/sandbox/employees/" + itoa(hired.ID) + "/rehire", map[string]any{"hire_date": "2025-06-01"}, 200,
			func(e sandbox.Employee) bool {
				return e.Status == "active" && e.LastWorkingDay == "" && e.HireDate == "2025-06-01"
			}},
		{"unknown supervisor", http.MethodPatch, "/sandbox/employees/" + itoa(hired.ID), map[string]any{"supervisor_id": 7}, 422, nil},
		{"supervisor cycle", http.MethodPatch, "/sandbox/employees/1001", map[string]any{"supervisor_id": 1002}, 422, nil},
		{"bad status", http.MethodPatch, "/sandbox/employees/" + itoa(hired.ID), map[string]any{"status": "retired"}, 422, nil},
		{"bad IBAN", http.MethodPatch, "/sandbox/employees/" + itoa(hired.ID), map[string]any{"iban": "DE00 1234"}, 422, nil},
		{"unknown field", http.MethodPatch, "/sandbox/employees/" + itoa(hired.ID), map[string]any{"salary": 1}, 400, nil},
		{"unknown employee", http.MethodPatch, "/sandbox/employees/999999", map[string]any{"position": "x"}, 404, nil},
		{"hire without names", http.MethodPost, "/sandbox/employees", map[string]any{"email": "x@example.com"}, 422, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			a.clock.Advance(time.Minute)
			r := a.control(st.method, st.path, st.body)
			expectStatus(t, r, st.status)
			if st.check == nil {
				return
			}
			got := decode[sandbox.Employee](t, r.body)
			if !st.check(got) {
				t.Fatalf("unexpected employee %+v", got)
			}
			if !got.LastModifiedAt.Equal(a.clock.Now()) {
				t.Fatalf("last_modified_at %v, want %v", got.LastModifiedAt, a.clock.Now())
			}
		})
	}

	t.Run("delete", func(t *testing.T) {
		expectStatus(t, a.control(http.MethodDelete, "/sandbox/employees/"+itoa(hired.ID), nil), http.StatusNoContent)
		expectStatus(t, a.get("/v1/company/employees/"+itoa(hired.ID), tok), http.StatusNotFound)
		expectStatus(t, a.control(http.MethodDelete, "/sandbox/employees/"+itoa(hired.ID), nil), http.StatusNotFound)
		l := decode[employeeList](t, a.get("/v1/company/employees?limit=1", tok).body)
		if l.Metadata.TotalElements != 120 {
			t.Fatalf("total %d after hire and delete", l.Metadata.TotalElements)
		}
	})
}

func TestControlTimeOffsStatsReset(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	r := a.control(http.MethodPost, "/sandbox/time-offs", map[string]any{
		"employee_id": 1004, "time_off_type_id": 113438, "start_date": "2026-01-12", "end_date": "2026-01-14",
		"half_day_start": false, "half_day_end": false, "status": "approved", "comment": "flu",
	})
	expectStatus(t, r, http.StatusCreated)
	to := decode[sandbox.TimeOff](t, r.body)
	if to.DaysCount != 3 || to.CreatedBy == "" {
		t.Fatalf("time-off %+v", to)
	}
	expectStatus(t, a.get("/v1/company/time-offs/"+itoa(to.ID), tok), 200)
	expectStatus(t, a.control(http.MethodPost, "/sandbox/time-offs", map[string]any{
		"employee_id": 1004, "time_off_type_id": 113437, "start_date": "2026-01-13", "end_date": "2026-01-13",
	}), http.StatusConflict)
	expectStatus(t, a.control(http.MethodPost, "/sandbox/time-offs", map[string]any{
		"employee_id": 1004, "time_off_type_id": 1, "start_date": "2026-01-13", "end_date": "2026-01-13",
	}), http.StatusNotFound)
	expectStatus(t, a.control(http.MethodDelete, "/sandbox/time-offs/"+itoa(to.ID), nil), http.StatusNoContent)
	expectStatus(t, a.get("/v1/company/time-offs/"+itoa(to.ID), tok), http.StatusNotFound)
	expectStatus(t, a.control(http.MethodDelete, "/sandbox/time-offs/"+itoa(to.ID), nil), http.StatusNotFound)

	dump := decode[[]sandbox.AttendancePeriod](t, a.control(http.MethodGet, "/sandbox/attendance-periods", nil).body)
	if len(dump) == 0 || len(dump) != len(a.srv.AttendancePeriods()) {
		t.Fatalf("attendance dump has %d periods", len(dump))
	}

	stats := decode[sandbox.Stats](t, a.control(http.MethodGet, "/sandbox/stats", nil).body)
	if stats.Endpoints["GET /v1/company/time-offs/{id}"].ByStatus["404"] != 1 || stats.Endpoints["POST /v1/auth"].Total != 1 {
		t.Fatalf("stats %+v", stats)
	}
	expectStatus(t, a.control(http.MethodPost, "/sandbox/stats/reset", nil), http.StatusNoContent)
	if st := a.srv.Stats(); st.Total != 1 { // the reset request itself is counted after the reset
		t.Fatalf("stats after reset %+v", st)
	}

	if _, err := a.srv.Update(1001, sandbox.EmployeeInput{FirstName: sandbox.Ptr("Changed")}); err != nil {
		t.Fatal(err)
	}
	r = a.control(http.MethodPost, "/sandbox/reset", nil)
	expectStatus(t, r, 200)
	if e, _ := a.srv.Employee(1001); e.FirstName == "Changed" {
		t.Fatal("reset kept a change")
	}
	expectStatus(t, a.do(http.MethodGet, "/healthz", nil), 200)
	expectStatus(t, a.control(http.MethodGet, "/sandbox/nope", nil), http.StatusNotFound)
	expectStatus(t, a.get("/v1/company/nope?"+url.Values{"a": {"b"}}.Encode(), tok, invalidRequest), http.StatusNotFound)
}
