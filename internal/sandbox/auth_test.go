package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sandbox"
)

func TestV1Auth(t *testing.T) {
	creds := url.Values{"client_id": {sandbox.FullClientID}, "client_secret": {sandbox.FullClientSecret}}
	tests := []struct {
		name       string
		now        time.Time
		send       func(a *api) response
		wantStatus int
		wantMsg    string
	}{
		{"json body", testNow, func(a *api) response {
			return a.jsonBody(http.MethodPost, "/v1/auth", "", map[string]string{"client_id": sandbox.FullClientID, "client_secret": sandbox.FullClientSecret})
		}, 200, ""},
		{"form body", testNow, func(a *api) response { return a.form(http.MethodPost, "/v1/auth", "", creds) }, 200, ""},
		{"query string before removal", testNow, func(a *api) response {
			return a.do(http.MethodPost, "/v1/auth?"+creds.Encode(), nil)
		}, 200, ""},
		{"query string after removal", time.Date(2026, time.December, 4, 0, 0, 0, 0, time.UTC), func(a *api) response {
			return a.do(http.MethodPost, "/v1/auth?"+creds.Encode(), nil)
		}, 403, "Query-string credentials are no longer supported"},
		{"wrong secret", testNow, func(a *api) response {
			return a.jsonBody(http.MethodPost, "/v1/auth", "", map[string]string{"client_id": sandbox.FullClientID, "client_secret": "nope"})
		}, 401, "Wrong credentials"},
		{"missing credentials", testNow, func(a *api) response {
			return a.do(http.MethodPost, "/v1/auth", strings.NewReader(`{}`), contentType("application/json"), invalidRequest)
		}, 400, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := start(t)
			a.clock.Set(tt.now)
			r := tt.send(a)
			expectStatus(t, r, tt.wantStatus)
			if tt.wantStatus == 200 {
				got := decode[authResponse](t, r.body)
				if !got.Success || !strings.HasPrefix(got.Data.Token, "papi-") || got.Data.ExpiresIn != 86400 || got.Data.Scope == "" {
					t.Fatalf("unexpected auth response %s", r.body)
				}
				return
			}
			e := decode[v1Error](t, r.body)
			if e.Success || !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Fatalf("error body %s, want message containing %q", r.body, tt.wantMsg)
			}
		})
	}
}

func TestStableTokens(t *testing.T) {
	a := start(t)
	tok := a.fullToken()
	if again := a.fullToken(); again != tok {
		t.Fatalf("second auth returned %q, want the stable token %q", again, tok)
	}
	a.clock.Advance(time.Hour)
	r := a.jsonBody(http.MethodPost, "/v1/auth", "", map[string]string{"client_id": sandbox.FullClientID, "client_secret": sandbox.FullClientSecret})
	if got := decode[authResponse](t, r.body); got.Data.Token != tok || got.Data.ExpiresIn != 23*3600 {
		t.Fatalf("after 1h: token %q expires_in %v, want same token and 82800", got.Data.Token, got.Data.ExpiresIn)
	}
	if other := a.token(sandbox.RestrictedClientID, sandbox.RestrictedClientSecret); other == tok {
		t.Fatal("restricted credential got the full credential's token")
	}

	// Used many times, echoed unchanged in the Authorization header.
	for range 3 {
		r := a.get("/v1/company/employees?limit=1", tok)
		expectStatus(t, r, 200)
		if got := r.header.Get("Authorization"); got != "Bearer "+tok {
			t.Fatalf("Authorization header %q, want the same token", got)
		}
	}

	// Expiry after 24 h.
	a.clock.Advance(23 * time.Hour)
	r = a.get("/v1/company/employees?limit=1", tok)
	expectStatus(t, r, http.StatusUnauthorized)
	if next := a.fullToken(); next == tok {
		t.Fatal("expired token was issued again")
	}
}

func TestUnauthorizedBodies(t *testing.T) {
	a := start(t)
	tests := []struct {
		name, tok, msg string
	}{
		{"missing", "", "Authorization is not provided"},
		{"invalid", "papi-not-a-token", "Provided authorization is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.get("/v1/company/employees", tt.tok)
			expectStatus(t, r, http.StatusUnauthorized)
			e := decode[v1Error](t, r.body)
			if e.Success || e.Error.Code != 401 || e.Error.Message != tt.msg {
				t.Fatalf("body %s, want code 401 and %q", r.body, tt.msg)
			}
			if r.header.Get("Authorization") != "" {
				t.Fatal("failed call echoed an Authorization header")
			}
		})
	}
}

func TestLegacyTokenRotation(t *testing.T) {
	a := start(t, func(o *sandbox.Options) { o.LegacyTokens = true })
	first := a.fullToken()
	if second := a.fullToken(); second == first {
		t.Fatal("legacy mode returned the same token twice")
	}

	tok := first
	for i := range 3 {
		r := a.get("/v1/company/employees?limit=1", tok)
		expectStatus(t, r, 200)
		next := strings.TrimPrefix(r.header.Get("Authorization"), "Bearer ")
		if next == "" || next == tok {
			t.Fatalf("call %d: Authorization header %q, want a new token", i, r.header.Get("Authorization"))
		}
		// The used token is blacklisted.
		expectStatus(t, a.get("/v1/company/employees?limit=1", tok), http.StatusUnauthorized)
		tok = next
	}

	// Profile pictures neither rotate nor consume the token.
	emp := firstWithPicture(t, a, tok)
	tok = emp.next
	r := a.get("/v1/company/employees/"+itoa(emp.id)+"/profile-picture/64", tok)
	expectStatus(t, r, 200)
	if r.header.Get("Authorization") != "" {
		t.Fatal("profile picture echoed an Authorization header")
	}
	expectStatus(t, a.get("/v1/company/employees?limit=1", tok), 200)
}

type pictureCandidate struct {
	id   int
	next string
}

// firstWithPicture finds an employee with a picture and returns the token to
// use next (legacy mode rotates it).
func firstWithPicture(t *testing.T, a *api, tok string) pictureCandidate {
	t.Helper()
	r := a.get("/v1/company/employees?limit=20&attributes[]=profile_picture", tok)
	expectStatus(t, r, 200)
	next := strings.TrimPrefix(r.header.Get("Authorization"), "Bearer ")
	for _, e := range decode[employeeList](t, r.body).Data {
		if string(e.Attributes["profile_picture"].Value) != "null" {
			return pictureCandidate{id: e.id(t), next: next}
		}
	}
	t.Fatal("no employee with a profile picture")
	return pictureCandidate{}
}

func TestV2Token(t *testing.T) {
	a := start(t)
	full := fullV2Form()
	with := func(mod func(v url.Values)) url.Values {
		v := url.Values{}
		for k, vals := range full {
			v[k] = append([]string(nil), vals...)
		}
		mod(v)
		return v
	}
	tests := []struct {
		name       string
		send       func() response
		wantError  string
		wantMetaOf string
	}{
		{"json body rejected", func() response {
			return a.do(http.MethodPost, "/v2/auth/token", strings.NewReader(`{"grant_type":"client_credentials"}`), contentType("application/json"), invalidRequest)
		}, "invalid_request", ""},
		{"missing grant type", func() response {
			return a.form(http.MethodPost, "/v2/auth/token", "", with(func(v url.Values) { v.Del("grant_type") }), invalidRequest)
		}, "invalid_request", "missing_parameters"},
		{"unsupported grant type", func() response {
			return a.form(http.MethodPost, "/v2/auth/token", "", with(func(v url.Values) { v.Set("grant_type", "urn:ietf:params:oauth:grant-type:device_code") }), invalidRequest)
		}, "unsupported_grant_type", "grant_type"},
		{"invalid grant type", func() response {
			return a.form(http.MethodPost, "/v2/auth/token", "", with(func(v url.Values) { v.Set("grant_type", "lilu_dallas_multipass") }), invalidRequest)
		}, "invalid_grant", ""},
		{"unknown client", func() response {
			return a.form(http.MethodPost, "/v2/auth/token", "", with(func(v url.Values) { v.Set("client_id", "client_who") }))
		}, "invalid_client", ""},
		{"wrong secret", func() response {
			return a.form(http.MethodPost, "/v2/auth/token", "", with(func(v url.Values) { v.Set("client_secret", "verY-wr0ng-p4ssw0rd") }))
		}, "unauthorized_client", ""},
		{"invalid scope", func() response {
			return a.form(http.MethodPost, "/v2/auth/token", "", with(func(v url.Values) { v.Set("scope", "personio:persons:read fake_scope:777") }))
		}, "invalid_scope", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			expectStatus(t, r, http.StatusBadRequest)
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			e := decode[oauthError](t, r.body)
			if e.Error != tt.wantError || e.Description == "" || (e.URI == "" && e.Type == "") {
				t.Fatalf("error %s, want %s", r.body, tt.wantError)
			}
			if tt.wantMetaOf != "" && e.Meta[tt.wantMetaOf] == nil {
				t.Fatalf("meta %v lacks %s", e.Meta, tt.wantMetaOf)
			}
		})
	}

	t.Run("success is stable", func(t *testing.T) {
		r := a.form(http.MethodPost, "/v2/auth/token", "", full)
		expectStatus(t, r, 200)
		tok := decode[oauthToken](t, r.body)
		if !strings.HasPrefix(tok.AccessToken, "papi-") || tok.TokenType != "Bearer" || tok.ExpiresIn != 86400 || !strings.Contains(tok.Scope, "personio:attendances:read") {
			t.Fatalf("token response %s", r.body)
		}
		if again := a.v2Token(full); again != tok.AccessToken {
			t.Fatal("v2 token not stable")
		}
		// v2 tokens also work on v1 endpoints.
		expectStatus(t, a.get("/v1/company/employees?limit=1", tok.AccessToken), 200)
	})

	t.Run("narrow scope is enforced", func(t *testing.T) {
		tok := a.v2Token(with(func(v url.Values) { v.Set("scope", "personio:attendances:read") }))
		expectStatus(t, a.get("/v2/attendance-periods?limit=1", tok), 200)
		r := a.jsonBody(http.MethodPost, "/v2/attendance-periods", tok, map[string]any{})
		expectStatus(t, r, http.StatusForbidden)
	})

	t.Run("revoke", func(t *testing.T) {
		tok := a.v2Token(with(func(v url.Values) { v.Set("scope", "personio:persons:read") }))
		expectStatus(t, a.form(http.MethodPost, "/v2/auth/revoke", "", url.Values{"token": {tok}}), 200)
		expectStatus(t, a.get("/v1/company/employees?limit=1", tok), http.StatusUnauthorized)
	})
}
