package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAttendanceCursor(t *testing.T) {
	a := start(t)
	tok := a.v2Token(fullV2Form())
	all := a.srv.AttendancePeriods()

	var got []period
	next := "/v2/attendance-periods?limit=37"
	pages := 0
	for next != "" {
		r := a.get(next, tok)
		expectStatus(t, r, 200)
		l := decode[periodList](t, r.body)
		got = append(got, l.Data...)
		pages++
		next = ""
		if l.Meta.Links.Next != nil {
			if !strings.HasPrefix(l.Meta.Links.Next.Href, a.base+"/v2/attendance-periods?") {
				t.Fatalf("next link %q is not absolute", l.Meta.Links.Next.Href)
			}
			next = strings.TrimPrefix(l.Meta.Links.Next.Href, a.base)
		}
		if pages > 100 {
			t.Fatal("cursor does not end")
		}
	}
	if len(got) != len(all) || pages != (len(all)+36)/37 {
		t.Fatalf("walked %d periods in %d pages, want %d", len(got), pages, len(all))
	}
	for i := range got {
		if got[i].ID != all[i].ID {
			t.Fatalf("period %d: %s, want %s (default sort)", i, got[i].ID, all[i].ID)
		}
	}

	def := decode[periodList](t, a.get("/v2/attendance-periods", tok).body)
	if len(def.Data) != min(100, len(all)) {
		t.Fatalf("default limit: %d", len(def.Data))
	}

	person := all[0].PersonID
	tests := []struct {
		name  string
		query string
		keep  func(p period) bool
	}{
		{"person.id comma list", "person.id=" + itoa(person) + "," + itoa(person+1), func(p period) bool {
			return p.Person.ID == itoa(person) || p.Person.ID == itoa(person+1)
		}},
		{"status", "status=PENDING", func(p period) bool { return p.Status == "PENDING" }},
		{"start range", "start.date_time.gte=" + all[0].AttributionDate + "T00:00:00&start.date_time.lte=" + all[0].AttributionDate + "T23:59:59",
			func(p period) bool { return strings.HasPrefix(p.Start.DateTime, all[0].AttributionDate) }},
		{"id", "id=" + all[3].ID, func(p period) bool { return p.ID == all[3].ID }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.get("/v2/attendance-periods?limit=100&"+tt.query, tok)
			expectStatus(t, r, 200)
			l := decode[periodList](t, r.body)
			if len(l.Data) == 0 {
				t.Fatal("filter matched nothing")
			}
			for _, p := range l.Data {
				if !tt.keep(p) {
					t.Fatalf("period %+v does not match %s", p, tt.query)
				}
			}
		})
	}

	for _, q := range []string{"limit=0", "limit=101", "cursor=bogus", "person.id.nooperator=1", "status=DONE", "start.date_time.gte=yesterday"} {
		t.Run("bad "+q, func(t *testing.T) {
			r := a.get("/v2/attendance-periods?"+q, tok)
			expectStatus(t, r, http.StatusBadRequest)
			if p := decode[problem](t, r.body); len(p.Errors) != 1 || !strings.HasSuffix(p.Errors[0].Type, "common.bad_request") {
				t.Fatalf("problem %s", r.body)
			}
		})
	}
}

func TestAttendanceCRUD(t *testing.T) {
	a := start(t)
	tok := a.v2Token(fullV2Form())
	body := map[string]any{
		"person":  map[string]any{"id": "1002"},
		"type":    "WORK",
		"start":   map[string]string{"date_time": "2025-06-14T09:00:00"},
		"end":     map[string]string{"date_time": "2025-06-14T12:00:00"},
		"comment": "Saturday release",
	}
	r := a.jsonBody(http.MethodPost, "/v2/attendance-periods", tok, body)
	expectStatus(t, r, http.StatusCreated)
	created := decode[struct {
		ID string `json:"id"`
	}](t, r.body)
	path := "/v2/attendance-periods/" + created.ID

	got := decode[period](t, a.get(path, tok).body)
	if got.Status != "PENDING" || got.Person.ID != "1002" || got.End == nil || got.Comment != "Saturday release" {
		t.Fatalf("created period %+v", got)
	}

	r = a.jsonBody(http.MethodPatch, path, tok, map[string]any{"end": nil, "comment": "still working"})
	expectStatus(t, r, 200)
	got = decode[period](t, r.body)
	if got.End != nil || got.Comment != "still working" {
		t.Fatalf("patched period %+v", got)
	}

	t.Run("skip approval confirms", func(t *testing.T) {
		b := map[string]any{"person": map[string]any{"id": 1003}, "type": "WORK", "start": map[string]string{"date_time": "2025-06-15T09:00:00"}}
		r := a.jsonBody(http.MethodPost, "/v2/attendance-periods?skip_approval=true", tok, b)
		expectStatus(t, r, http.StatusCreated)
		id := decode[struct{ ID string }](t, r.body).ID
		if p := decode[period](t, a.get("/v2/attendance-periods/"+id, tok).body); p.Status != "CONFIRMED" {
			t.Fatalf("status %s", p.Status)
		}
	})

	invalid := []struct {
		name   string
		body   any
		status int
	}{
		{"missing person", map[string]any{"type": "WORK", "start": map[string]string{"date_time": "2025-06-16T09:00:00"}}, 400},
		{"bad type", map[string]any{"person": map[string]any{"id": "1002"}, "type": "NAP", "start": map[string]string{"date_time": "2025-06-16T09:00:00"}}, 400},
		{"end before start", map[string]any{"person": map[string]any{"id": "1002"}, "type": "WORK",
			"start": map[string]string{"date_time": "2025-06-16T09:00:00"}, "end": map[string]string{"date_time": "2025-06-16T08:00:00"}}, 422},
		{"break with project", map[string]any{"person": map[string]any{"id": "1002"}, "type": "BREAK", "project": map[string]string{"id": "p1"},
			"start": map[string]string{"date_time": "2025-06-16T12:00:00"}, "end": map[string]string{"date_time": "2025-06-16T12:30:00"}}, 422},
		{"overlap", map[string]any{"person": map[string]any{"id": "1002"}, "type": "WORK",
			"start": map[string]string{"date_time": "2025-06-14T10:00:00"}, "end": map[string]string{"date_time": "2025-06-14T11:00:00"}}, 422},
		{"unknown person", map[string]any{"person": map[string]any{"id": "42"}, "type": "WORK", "start": map[string]string{"date_time": "2025-06-16T09:00:00"}}, 422},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			r := a.jsonBody(http.MethodPost, "/v2/attendance-periods", tok, tt.body)
			expectStatus(t, r, tt.status)
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	t.Run("invalid JSON", func(t *testing.T) {
		r := a.do(http.MethodPost, "/v2/attendance-periods", strings.NewReader("{"), bearerAuth(tok), contentType("application/json"))
		expectStatus(t, r, http.StatusBadRequest)
	})
	t.Run("unauthorized", func(t *testing.T) {
		expectStatus(t, a.get("/v2/attendance-periods", ""), http.StatusUnauthorized)
	})

	expectStatus(t, a.do(http.MethodDelete, path, nil, bearerAuth(tok)), http.StatusNoContent)
	r = a.get(path, tok)
	expectStatus(t, r, http.StatusNotFound)
	if p := decode[problem](t, r.body); !strings.HasSuffix(p.Errors[0].Type, "common.requested_resource_not_found") {
		t.Fatalf("404 problem %s", r.body)
	}
	expectStatus(t, a.do(http.MethodDelete, path, nil, bearerAuth(tok)), http.StatusNotFound)
}
