package sandbox

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var genNow = time.Date(2025, time.June, 10, 10, 0, 0, 0, time.UTC)

func TestGeneratedCompany(t *testing.T) {
	for _, n := range []int{12, 120, 5000} {
		t.Run(itoaTest(n), func(t *testing.T) {
			c := generate(1, n, genNow)
			today := civilOf(berlinLocal(genNow))
			emails := map[string]int{}
			statuses := map[string]int{}
			roots, noEmail, pastLeavers, futureLeavers, externals := 0, 0, 0, 0, 0
			for _, e := range c.employees {
				if e.email == "" {
					noEmail++
				} else {
					emails[e.email]++
				}
				statuses[e.status]++
				if e.supervisorID == 0 {
					roots++
				} else if c.byID[e.supervisorID] == nil || e.supervisorID >= e.id {
					t.Fatalf("employee %d has supervisor %d", e.id, e.supervisorID)
				}
				if e.lastWorkingDay.valid() {
					if e.lastWorkingDay < today {
						pastLeavers++
						if e.status != "inactive" {
							t.Fatalf("employee %d left on %s but is %s", e.id, e.lastWorkingDay, e.status)
						}
					} else {
						futureLeavers++
					}
					if !e.terminationDate.valid() || e.terminationType == "" {
						t.Fatalf("leaver %d without termination details", e.id)
					}
				}
				if e.external {
					externals++
				}
				if e.iban != "" && !validIBAN(e.iban) {
					t.Fatalf("invalid IBAN %q", e.iban)
				}
				if e.iban != "" && (e.bic == "" || e.holder == "") {
					t.Fatalf("employee %d has an IBAN without BIC or holder", e.id)
				}
			}
			dups := 0
			for _, k := range emails {
				if k > 1 {
					dups++
					if k != 2 {
						t.Fatalf("email used %d times", k)
					}
				}
			}
			if roots != 1 || dups != 1 || noEmail == 0 || pastLeavers == 0 || futureLeavers == 0 {
				t.Fatalf("roots %d, duplicate pairs %d, without email %d, past leavers %d, future leavers %d",
					roots, dups, noEmail, pastLeavers, futureLeavers)
			}
			for _, s := range []string{"active", "onboarding", "leave", "inactive"} {
				if statuses[s] == 0 {
					t.Fatalf("no %s employee: %v", s, statuses)
				}
			}
			if n >= 5000 && externals == 0 {
				t.Fatal("no external employees")
			}
			if len(c.timeOffs) == 0 || len(c.attendance) == 0 {
				t.Fatal("no time-offs or attendance")
			}
		})
	}
}

func TestNamesWithDiacritics(t *testing.T) {
	c := generate(1, 2000, genNow)
	var accented bool
	for _, e := range c.employees {
		if strings.ContainsAny(e.firstName+e.lastName, "üöäéèëçñłşø") {
			accented = true
			if strings.ContainsAny(e.email, "üöäéèëçñłşø") {
				t.Fatalf("email %q not transliterated", e.email)
			}
		}
	}
	if !accented {
		t.Fatal("no names with diacritics")
	}
	if got := transliterate("Jürgen Müller-Lefèvre"); got != "juergenmueller-lefevre" {
		t.Fatalf("transliterate: %q", got)
	}
}

func TestIBAN(t *testing.T) {
	for _, iban := range []string{"DE89 3704 0044 0532 0130 00", "AT611904300234573201", "FR1420041010050500013M02606"} {
		if !validIBAN(iban) {
			t.Errorf("%s should be valid", iban)
		}
	}
	if validIBAN("DE98 8989 9898 0000 8989 01") {
		t.Error("wrong checksum accepted")
	}
	rng := newRNG(3, 1)
	for _, country := range []string{"DE", "AT", "FR"} {
		iban, bic := makeIBAN(rng, country, true)
		if !validIBAN(iban) || !strings.HasPrefix(iban, country) || len(bic) != 11 {
			t.Errorf("%s: %s %s", country, iban, bic)
		}
	}
}

func TestBerlinOffsets(t *testing.T) {
	tests := []struct {
		date string
		want string
	}{
		{"2025-01-15", "2025-01-15T00:00:00+01:00"},
		{"2025-07-01", "2025-07-01T00:00:00+02:00"},
		{"2025-03-30", "2025-03-30T00:00:00+01:00"}, // switch day: midnight is still winter time
		{"2025-10-26", "2025-10-26T00:00:00+02:00"}, // switch day: midnight is still summer time
	}
	for _, tt := range tests {
		d, err := parseCivil(tt.date)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendDateMidnight(nil, d, offsetColon)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.date, got, tt.want)
		}
	}
	got, err := parseUpdatedSince("2025-07-01T12:00:00")
	if err != nil || !got.Equal(time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("parseUpdatedSince: %v %v", got, err)
	}
}

// TestPictureNotWhitelisted covers a credential without the Profile Picture
// attribute (both shipped credentials can read it).
func TestPictureNotWhitelisted(t *testing.T) {
	s := New(Options{Employees: 20, Seed: 1, Now: func() time.Time { return genNow }})
	cred := s.creds[RestrictedClientID]
	for i, a := range s.attrs {
		if a.key == "profile_picture" {
			cred.readable[i] = false
		}
	}
	tok := s.tokens.issueStable(cred, nil, genNow)
	var id int
	for _, e := range s.data.employees {
		if e.hasPicture {
			id = e.id
			break
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/v1/company/employees/"+itoaTest(id)+"/profile-picture/64", nil)
	req.Header.Set("Authorization", "Bearer "+tok.value)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "Etwas ist schiefgelaufen") {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
}

func TestStartAndBanner(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := New(Options{Employees: 30, Seed: 1, RateLimit: true})
	base, err := s.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	banner := s.Banner(base)
	for _, want := range []string{base, FullClientID, FullClientSecret, RestrictedClientID, RestrictedClientSecret,
		IBANAttribute, BICAttribute, AccountHolderAttribute, "v1-employees"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := http.Get(base + "/healthz"); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("server still serving after the context was cancelled")
}

func TestProfilePictureImage(t *testing.T) {
	a, err := profilePicture("Jürgen", "Müller", 64)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := profilePicture("Jürgen", "Müller", 64)
	c, _ := profilePicture("Zoë", "Lefèvre", 64)
	if !bytes.HasPrefix(a, []byte("\x89PNG")) || !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("pictures must be deterministic PNGs that differ per person")
	}
}

func itoaTest(n int) string { return formatWeeklyHours(n * 10) }

// BenchmarkGenerate50k times generating the largest demo company.
func BenchmarkGenerate50k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		generate(1, MaxEmployees, genNow)
	}
}

// BenchmarkEmployeesPage times serving one page of 100 of 50,000 employees.
func BenchmarkEmployeesPage(b *testing.B) {
	s := New(Options{Employees: MaxEmployees, Seed: 1, Now: func() time.Time { return genNow }})
	tok := s.tokens.issueStable(s.creds[FullClientID], nil, genNow)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/v1/company/employees?limit=100&offset="+itoaTest((i%500)*100), nil)
		req.Header.Set("Authorization", "Bearer "+tok.value)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		i++
	}
}

// BenchmarkUpdatedSincePage times an updated_since page over 50,000 employees.
func BenchmarkUpdatedSincePage(b *testing.B) {
	s := New(Options{Employees: MaxEmployees, Seed: 1, Now: func() time.Time { return genNow }})
	tok := s.tokens.issueStable(s.creds[FullClientID], nil, genNow)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/v1/company/employees?limit=100&offset=20000&updated_since=2024-01-01", nil)
		req.Header.Set("Authorization", "Bearer "+tok.value)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
