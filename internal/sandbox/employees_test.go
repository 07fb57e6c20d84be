package sandbox_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
)

func TestEmployeesPagination(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	total := a.srv.EmployeeCount()
	tests := []struct {
		name      string
		query     string
		invalid   bool
		wantCount int
		wantFirst int // id of the first employee; 0 = don't care
		wantMeta  metadata
		wantLimit int
	}{
		{"default limit is 50", "", false, 50, 1001, metadata{total, 0, 3}, 50},
		{"max limit 100", "?limit=100", false, 100, 1001, metadata{total, 0, 2}, 100},
		{"record offset", "?limit=10&offset=15", false, 10, 1016, metadata{total, 1, 12}, 10},
		{"last partial page", "?limit=100&offset=100", false, total - 100, 1101, metadata{total, 1, 2}, 100},
		{"offset past the end", "?limit=50&offset=500", false, 0, 0, metadata{total, 10, 3}, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.get("/v1/company/employees"+tt.query, tok)
			expectStatus(t, r, 200)
			l := decode[employeeList](t, r.body)
			if len(l.Data) != tt.wantCount {
				t.Fatalf("got %d employees, want %d", len(l.Data), tt.wantCount)
			}
			if tt.wantFirst != 0 && l.Data[0].id(t) != tt.wantFirst {
				t.Fatalf("first id %d, want %d", l.Data[0].id(t), tt.wantFirst)
			}
			if l.Metadata != tt.wantMeta || l.Limit != tt.wantLimit {
				t.Fatalf("metadata %+v limit %d, want %+v limit %d", l.Metadata, l.Limit, tt.wantMeta, tt.wantLimit)
			}
		})
	}

	overLimit := []struct{ name, query string }{
		{"limit 101", "?limit=101"},
		{"limit 200", "?limit=200"},
		{"limit 0", "?limit=0"},
	}
	for _, tt := range overLimit {
		t.Run(tt.name, func(t *testing.T) {
			r := a.get("/v1/company/employees"+tt.query, tok, invalidRequest)
			expectStatus(t, r, http.StatusBadRequest)
			if e := decode[v1Error](t, r.body); e.Error.Message != "The limit must be between 1 and 100." {
				t.Fatalf("error %s", r.body)
			}
		})
	}

	t.Run("walking all pages yields every employee once", func(t *testing.T) {
		seen := map[int]bool{}
		for offset := 0; ; offset += 100 {
			l := decode[employeeList](t, a.get("/v1/company/employees?limit=100&offset="+itoa(offset), tok).body)
			for _, e := range l.Data {
				if seen[e.id(t)] {
					t.Fatalf("employee %d twice", e.id(t))
				}
				seen[e.id(t)] = true
			}
			if l.Metadata.CurrentPage >= l.Metadata.TotalPages-1 {
				break
			}
		}
		if len(seen) != total {
			t.Fatalf("saw %d employees, want %d", len(seen), total)
		}
	})
}

func TestEmployeeShape(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	l := decode[employeeList](t, a.get("/v1/company/employees?limit=100", tok).body)

	ceo := l.Data[0]
	if string(ceo.Attributes["supervisor"].Value) != "null" || ceo.str(t, "position") != "CEO" {
		t.Fatalf("first employee should be the CEO without supervisor: %s", ceo.Attributes["supervisor"].Value)
	}
	var colon, noColon, emptyTermination bool
	for _, e := range l.Data[1:] {
		sup := decode[employeeResource](t, e.Attributes["supervisor"].Value)
		if sup.Type != "Employee" || sup.id(t) == 0 || sup.str(t, "last_name") == "" {
			t.Fatalf("supervisor value %s", e.Attributes["supervisor"].Value)
		}
		if e.Attributes["weekly_working_hours"].Value[0] != '"' {
			t.Fatalf("weekly_working_hours must be a string, got %s", e.Attributes["weekly_working_hours"].Value)
		}
		hire := e.str(t, "hire_date")
		if _, err := time.Parse("2006-01-02T15:04:05-07:00", hire); err == nil {
			colon = true
		} else if _, err := time.Parse("2006-01-02T15:04:05-0700", hire); err == nil {
			noColon = true
		} else {
			t.Fatalf("hire_date %q is not a date-time with offset", hire)
		}
		if string(e.Attributes["termination_type"].Value) == `""` {
			emptyTermination = true
		}
		for _, key := range []string{"department", "office", "subcompany"} {
			v := decode[struct {
				Type       string `json:"type"`
				Attributes struct {
					ID   int    `json:"id"`
					Name string `json:"name"`
				} `json:"attributes"`
			}](t, e.Attributes[key].Value)
			if v.Attributes.ID == 0 || v.Attributes.Name == "" || v.Type == "" {
				t.Fatalf("%s value %s", key, e.Attributes[key].Value)
			}
		}
		if e.Attributes["fix_salary"].Currency != "EUR" {
			t.Fatal("fix_salary lacks currency")
		}
		if pic := e.Attributes["profile_picture"].Value; string(pic) != "null" &&
			!strings.HasPrefix(decode[string](t, pic), a.base+"/v1/company/employees/") {
			t.Fatalf("profile_picture %s does not point at the sandbox", pic)
		}
		iban := e.Attributes[sandbox.IBANAttribute]
		if iban.Label != "IBAN" || iban.UniversalID == nil || *iban.UniversalID != "iban" {
			t.Fatalf("IBAN attribute %+v", iban)
		}
		if e.Attributes[sandbox.BICAttribute].Label != "BIC" || e.Attributes[sandbox.AccountHolderAttribute].Label != "Account holder" {
			t.Fatal("BIC / account holder attributes missing")
		}
	}
	if !colon || !noColon {
		t.Fatalf("want both +01:00 and +0100 offset forms (colon %v, no colon %v)", colon, noColon)
	}
	if !emptyTermination {
		t.Fatal(`want termination_type "" for employees without termination`)
	}
}

func TestEmployeeByID(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	r := a.get("/v1/company/employees/1002", tok)
	expectStatus(t, r, 200)
	e := decode[struct {
		Success bool             `json:"success"`
		Data    employeeResource `json:"data"`
	}](t, r.body)
	if !e.Success || e.Data.id(t) != 1002 {
		t.Fatalf("body %.300s", r.body)
	}

	r = a.get("/v1/company/employees/999999", tok)
	expectStatus(t, r, http.StatusNotFound)
	if got := decode[v1Error](t, r.body); got.Error.Message != "Es ist ein Problem aufgetreten " || got.Success {
		t.Fatalf("404 body %s", r.body)
	}
}

func TestEmailFilter(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	counts := map[string]int{}
	for _, e := range a.srv.Employees() {
		if e.Email != "" {
			counts[e.Email]++
		}
	}
	var dup, single string
	for email, n := range counts {
		switch {
		case n == 2:
			dup = email
		case n == 1 && single == "":
			single = email
		}
	}
	tests := []struct {
		name, query string
		want        int
	}{
		{"unique email", "?email=" + url.QueryEscape(single), 1},
		{"case-insensitive", "?email=" + url.QueryEscape(strings.ToUpper(single)), 1},
		{"duplicate pair", "?email=" + url.QueryEscape(dup), 2},
		{"unknown", "?email=nobody%40example.com", 0},
		{"ignored with updated_since", "?email=" + url.QueryEscape(single) + "&updated_since=2000-01-01", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := decode[employeeList](t, a.get("/v1/company/employees"+tt.query, tok).body)
			if len(l.Data) != tt.want {
				t.Fatalf("got %d employees, want %d", len(l.Data), tt.want)
			}
		})
	}
}

func TestUpdatedSince(t *testing.T) {
	a := start(t)
	a.clock.Advance(48 * time.Hour)
	tok := a.fullToken()
	// Berlin local time without offset, as documented.
	since := testNow.Add(47 * time.Hour).In(time.FixedZone("CEST", 2*3600)).Format("2006-01-02T15:04:05")

	none := decode[employeeList](t, a.get("/v1/company/employees?updated_since="+since, tok).body)
	if none.Metadata.TotalElements != 0 {
		t.Fatalf("%d employees updated before any change", none.Metadata.TotalElements)
	}
	if _, err := a.srv.Update(1010, sandbox.EmployeeInput{Position: sandbox.Ptr("Staff Engineer")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.srv.Transfer(1011, sandbox.Transfer{Team: sandbox.Ptr("Platform Guild")}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		query   string
		wantIDs []int
		keys    []string // expected attribute keys (nil: don't check)
	}{
		{"any change", "", []int{1010, 1011}, nil},
		{"date only", "", []int{1010, 1011}, nil},
		{"selected by position", "&attributes[]=position", []int{1010}, []string{"id", "position"}},
		{"selected by team", "&attributes[]=team&attributes[]=first_name", []int{1011}, []string{"id", "first_name", "team"}},
		{"unchanged attribute", "&attributes[]=email", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value := since
			if tt.name == "date only" {
				value = testNow.Add(48 * time.Hour).Format(time.DateOnly)
			}
			r := a.get("/v1/company/employees?updated_since="+url.QueryEscape(value)+tt.query, tok)
			expectStatus(t, r, 200)
			l := decode[employeeList](t, r.body)
			var ids []int
			for _, e := range l.Data {
				ids = append(ids, e.id(t))
				if tt.keys != nil {
					var keys []string
					for k := range e.Attributes {
						keys = append(keys, k)
					}
					slices.Sort(keys)
					want := slices.Sorted(slices.Values(tt.keys))
					if !slices.Equal(keys, want) {
						t.Fatalf("attributes %v, want %v", keys, want)
					}
				}
			}
			if !slices.Equal(ids, tt.wantIDs) {
				t.Fatalf("ids %v, want %v", ids, tt.wantIDs)
			}
		})
	}

	t.Run("last_modified_at is the change time", func(t *testing.T) {
		e, _ := a.srv.Employee(1010)
		if !e.LastModifiedAt.Equal(a.clock.Now()) {
			t.Fatalf("last modified %v, want %v", e.LastModifiedAt, a.clock.Now())
		}
	})

	t.Run("invalid value", func(t *testing.T) {
		expectStatus(t, a.get("/v1/company/employees?updated_since=yesterday", tok), http.StatusBadRequest)
	})
}

func TestRestrictedWhitelist(t *testing.T) {
	a := start(t)
	full := a.fullToken()
	restricted := a.token(sandbox.RestrictedClientID, sandbox.RestrictedClientSecret)
	hidden := sandbox.RestrictedAttributes()

	attrKeys := func(tok string) []string {
		r := a.get("/v1/company/employees/attributes", tok)
		expectStatus(t, r, 200)
		var keys []string
		for _, at := range decode[struct {
			Data []struct {
				Key     string   `json:"key"`
				Options []string `json:"options"`
			} `json:"data"`
		}](t, r.body).Data {
			keys = append(keys, at.Key)
		}
		return keys
	}
	fullKeys, restrictedKeys := attrKeys(full), attrKeys(restricted)
	for _, k := range hidden {
		if !slices.Contains(fullKeys, k) {
			t.Errorf("full credential cannot read %s", k)
		}
		if slices.Contains(restrictedKeys, k) {
			t.Errorf("restricted credential lists %s", k)
		}
	}
	if len(fullKeys)-len(restrictedKeys) != len(hidden) {
		t.Errorf("full lists %d attributes, restricted %d", len(fullKeys), len(restrictedKeys))
	}

	for _, path := range []string{"/v1/company/employees?limit=5", "/v1/company/employees?limit=5&attributes[]=team&attributes[]=last_name"} {
		for _, e := range decode[employeeList](t, a.get(path, restricted).body).Data {
			for _, k := range hidden {
				if _, ok := e.Attributes[k]; ok {
					t.Fatalf("%s: restricted credential got %s", path, k)
				}
			}
		}
	}
	r := a.get("/v1/company/employees/1002", restricted)
	if bytes.Contains(r.body, []byte(`"cost_centers"`)) {
		t.Fatal("single employee leaks cost_centers to the restricted credential")
	}
	e := decode[employeeList](t, a.get("/v1/company/employees?limit=5", full).body).Data[2]
	if _, ok := e.Attributes["cost_centers"]; !ok {
		t.Fatal("full credential lacks cost_centers")
	}
}

func TestProfilePicture(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	withPic, without := 0, 0
	for _, e := range a.srv.Employees() {
		if e.HasProfilePicture && withPic == 0 {
			withPic = e.ID
		}
		if !e.HasProfilePicture && without == 0 {
			without = e.ID
		}
	}
	r := a.get("/v1/company/employees/"+itoa(withPic)+"/profile-picture/128", tok)
	expectStatus(t, r, 200)
	if r.header.Get("Content-Type") != "image/png" || r.header.Get("Authorization") != "" {
		t.Fatalf("headers %v", r.header)
	}
	again := a.get("/v1/company/employees/"+itoa(withPic)+"/profile-picture/128", tok)
	if !bytes.Equal(r.body, again.body) {
		t.Fatal("profile picture is not deterministic")
	}
	for _, id := range []int{without, 999999} {
		r := a.get("/v1/company/employees/"+itoa(id)+"/profile-picture/128", tok)
		expectStatus(t, r, http.StatusNotFound)
	}
	expectStatus(t, a.get("/v1/company/employees/"+itoa(withPic)+"/profile-picture/128", ""), http.StatusUnauthorized)
}

func TestDeterminism(t *testing.T) {
	page := func(seed int64) []byte {
		a := start(t, func(o *sandbox.Options) { o.Seed = seed; o.BaseURL = "https://sandbox.example" })
		tok := a.fullToken()
		var all []byte
		for _, p := range []string{"/v1/company/employees?limit=100", "/v1/company/employees?limit=100&offset=100", "/v1/company/time-offs"} {
			r := a.get(p, tok)
			expectStatus(t, r, 200)
			all = append(all, r.body...)
		}
		return all
	}
	one, again, other := page(1), page(1), page(2)
	if !bytes.Equal(one, again) {
		t.Fatal("same seed produced different JSON")
	}
	if bytes.Equal(one, other) {
		t.Fatal("different seeds produced the same JSON")
	}
}
