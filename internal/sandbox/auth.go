package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const tokenLifetime = 24 * time.Hour

// credential is an API credential with its attribute whitelist and scopes.
type credential struct {
	id, secret string
	// readable[i] reports whether attribute attrs[i] is whitelisted.
	readable []bool
	scopes   []string
}

func (c *credential) canRead(attrs []attrDef, key string) bool {
	for i, a := range attrs {
		if a.key == key {
			return c.readable[i]
		}
	}
	return false
}

// v2Scopes are the scopes of both sandbox credentials (NOTES.md §3.2).
func v2Scopes() []string {
	return []string{
		"personio:attendances:read", "personio:attendances:write",
		"personio:absences:read", "personio:absences:write",
		"personio:persons:read", "personio:employments:read",
	}
}

// v1Scope is what POST /v1/auth reports in data.scope.
const v1Scope = "employees:read employees:write absences:read absences:write attendances:read attendances:write"

func credentials(attrs []attrDef) map[string]*credential {
	full := &credential{id: FullClientID, secret: FullClientSecret, readable: make([]bool, len(attrs)), scopes: v2Scopes()}
	restricted := &credential{id: RestrictedClientID, secret: RestrictedClientSecret, readable: make([]bool, len(attrs)), scopes: v2Scopes()}
	hidden := RestrictedAttributes()
	for i, a := range attrs {
		full.readable[i] = true
		restricted.readable[i] = !slices.Contains(hidden, a.key)
	}
	return map[string]*credential{full.id: full, restricted.id: restricted}
}

// token is an issued bearer token.
type token struct {
	value     string
	cred      *credential
	expires   time.Time
	scopes    []string // v2 scopes; nil for v1 tokens (all scopes)
	singleUse bool
}

// tokenStore issues and checks tokens. Stable tokens are reused for the same
// credential (and scope) until they expire, like Personio's papi- tokens.
type tokenStore struct {
	mu     sync.Mutex
	tokens map[string]*token
	stable map[string]*token // key: credential id + "\x00" + scope
}

func newTokenStore() *tokenStore {
	return &tokenStore{tokens: map[string]*token{}, stable: map[string]*token{}}
}

func newTokenValue() string {
	var b [48]byte
	_, _ = rand.Read(b[:])
	return "papi-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// issueStable returns the credential's current token for the scope, or a new
// one when there is none or it has expired.
func (ts *tokenStore) issueStable(cred *credential, scopes []string, now time.Time) *token {
	key := cred.id + "\x00" + strings.Join(scopes, " ")
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t, ok := ts.stable[key]; ok && now.Before(t.expires) && ts.tokens[t.value] == t {
		return t
	}
	t := &token{value: newTokenValue(), cred: cred, expires: now.Add(tokenLifetime), scopes: scopes}
	ts.tokens[t.value] = t
	ts.stable[key] = t
	ts.expireLocked(now)
	return t
}

// issueSingleUse returns a new legacy token that is invalid after one use.
func (ts *tokenStore) issueSingleUse(cred *credential, now time.Time) *token {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := &token{value: newTokenValue(), cred: cred, expires: now.Add(tokenLifetime), singleUse: true}
	ts.tokens[t.value] = t
	return t
}

// use validates a token; single-use tokens are consumed.
func (ts *tokenStore) use(value string, now time.Time) (*token, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.tokens[value]
	if !ok {
		return nil, false
	}
	if !now.Before(t.expires) {
		delete(ts.tokens, value)
		return nil, false
	}
	if t.singleUse {
		delete(ts.tokens, value)
	}
	return t, true
}

// peek validates a token without consuming it.
func (ts *tokenStore) peek(value string, now time.Time) (*token, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.tokens[value]
	if !ok || !now.Before(t.expires) {
		return nil, false
	}
	return t, true
}

func (ts *tokenStore) revoke(value string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.tokens, value)
}

// invalidateAll drops every issued token.
func (ts *tokenStore) invalidateAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	clear(ts.tokens)
	clear(ts.stable)
}

func (ts *tokenStore) expireLocked(now time.Time) {
	if len(ts.tokens) < 1024 {
		return
	}
	for v, t := range ts.tokens {
		if !now.Before(t.expires) {
			delete(ts.tokens, v)
		}
	}
}

// ---- v1 ----------------------------------------------------------------

type v1AuthData struct {
	Token     string `json:"token"`
	ExpiresIn int    `json:"expires_in"`
	Scope     string `json:"scope"`
}

// handleV1Auth implements POST /v1/auth with JSON, form or (deprecated)
// query-string credentials.
func (s *Server) handleV1Auth(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	var id, secret string
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		var body struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
			writeV1Error(w, http.StatusBadRequest, 400, "The request body is not valid JSON.")
			return
		}
		id, secret = body.ClientID, body.ClientSecret
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			writeV1Error(w, http.StatusBadRequest, 400, "The request body is not valid.")
			return
		}
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" && secret == "" {
		q := r.URL.Query()
		if q.Has("client_id") || q.Has("client_secret") {
			// Deprecated query-string credentials: accepted until the
			// removal date, 403 afterwards (HUB changelog, NOTES.md §3.1).
			removal := queryCredentialsRemoval()
			if !now.Before(removal) {
				writeV1Error(w, http.StatusForbidden, 403,
					"Query-string credentials are no longer supported. Send client_id and client_secret in the request body.")
				return
			}
			s.log.Warn("sandbox: deprecated query-string credentials on POST /v1/auth", "removal", removal.Format(time.DateOnly))
			// [inf] Deprecation/Sunset headers are a courtesy of the sandbox.
			w.Header().Set("Deprecation", "true")
			w.Header().Set("Sunset", removal.Format(http.TimeFormat))
			id, secret = q.Get("client_id"), q.Get("client_secret")
		}
	}
	if id == "" || secret == "" {
		// [inf] the live message for missing credentials is not documented.
		writeV1Error(w, http.StatusBadRequest, 400, "The client_id and client_secret fields are required.")
		return
	}
	cred, ok := s.creds[id]
	if !ok || cred.secret != secret {
		// [inf] status and message for wrong credentials are not documented.
		writeV1Error(w, http.StatusUnauthorized, 401, "Wrong credentials")
		return
	}
	var t *token
	if s.opts.LegacyTokens {
		t = s.tokens.issueSingleUse(cred, now)
	} else {
		t = s.tokens.issueStable(cred, nil, now)
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool       `json:"success"`
		Data    v1AuthData `json:"data"`
	}{true, v1AuthData{Token: t.value, ExpiresIn: int(t.expires.Sub(now).Seconds()), Scope: v1Scope}})
}

type credKey struct{}

func credFrom(ctx context.Context) *credential {
	c, _ := ctx.Value(credKey{}).(*credential)
	return c
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	v := strings.TrimSpace(h[7:])
	return v, v != ""
}

// v1 wraps a v1 handler with bearer authentication and the Authorization
// response header Personio sends on successful calls: the same stable token,
// or in legacy mode the next single-use token.
func (s *Server) v1(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := s.authenticateV1(w, r)
		if !ok {
			return
		}
		ew := &authEchoWriter{ResponseWriter: w, echo: func() string {
			if t.singleUse {
				return s.tokens.issueSingleUse(t.cred, s.now()).value
			}
			return t.value
		}}
		h(ew, r.WithContext(context.WithValue(r.Context(), credKey{}, t.cred)))
	}
}

func (s *Server) authenticateV1(w http.ResponseWriter, r *http.Request) (*token, bool) {
	v, ok := bearer(r)
	if !ok {
		writeV1Error(w, http.StatusUnauthorized, 401, "Authorization is not provided")
		return nil, false
	}
	t, ok := s.tokens.use(v, s.now())
	if !ok {
		// [inf] the spec pairs this message with 403; invalid or expired
		// tokens are answered with 401 so clients re-authenticate.
		writeV1Error(w, http.StatusUnauthorized, 401, "Provided authorization is not valid")
		return nil, false
	}
	return t, true
}

// authEchoWriter sets "Authorization: Bearer <token>" on 2xx responses.
type authEchoWriter struct {
	http.ResponseWriter
	echo        func() string
	wroteHeader bool
}

func (a *authEchoWriter) WriteHeader(code int) {
	if !a.wroteHeader {
		a.wroteHeader = true
		if code >= 200 && code < 300 {
			a.Header().Set("Authorization", "Bearer "+a.echo())
		}
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *authEchoWriter) Write(b []byte) (int, error) {
	if !a.wroteHeader {
		a.WriteHeader(http.StatusOK)
	}
	return a.ResponseWriter.Write(b)
}

func (a *authEchoWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// ---- v2 ----------------------------------------------------------------

const errorsDoc = "https://developer.personio.de/reference/errors#"

// oauthError is the OAuth2TokenErrorResponse of the credentials spec.
type oauthError struct {
	Timestamp   string         `json:"timestamp"`
	TraceID     string         `json:"trace_id"`
	Error       string         `json:"error"`
	Description string         `json:"error_description"`
	URI         string         `json:"error_uri,omitempty"`
	Type        string         `json:"type,omitempty"`
	Meta        map[string]any `json:"meta,omitempty"`
}

func (s *Server) writeOAuthError(w http.ResponseWriter, code, description, anchor string, meta map[string]any) {
	e := oauthError{
		Timestamp:   s.now().UTC().Format("2006-01-02T15:04:05Z"),
		TraceID:     s.traceID(),
		Error:       code,
		Description: description,
		URI:         errorsDoc + anchor,
		Meta:        meta,
	}
	writeJSONType(w, http.StatusBadRequest, "application/problem+json", e)
}

type oauthToken struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
}

// handleV2Token implements the OAuth2 client-credentials grant, form only.
func (s *Server) handleV2Token(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/x-www-form-urlencoded" {
		e := oauthError{
			Timestamp:   now.UTC().Format("2006-01-02T15:04:05Z"),
			TraceID:     s.traceID(),
			Error:       "invalid_request",
			Description: `The content type of the request must be "application/x-www-form-urlencoded".`,
			Type:        errorsDoc + "credentials.oauth2.invalid_request.invalid_request_content_type",
		}
		writeJSONType(w, http.StatusBadRequest, "application/problem+json", e)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	form, err := readForm(r)
	if err != nil {
		s.writeOAuthError(w, "invalid_request", "The request has missing or invalid required parameters.",
			"credentials.oauth2.invalid_request.required_parameters_missing", nil)
		return
	}
	grant := form.Get("grant_type")
	switch grant {
	case "":
		s.writeOAuthError(w, "invalid_request", "The request has missing or invalid required parameters.",
			"credentials.oauth2.invalid_request.required_parameters_missing",
			map[string]any{"missing_parameters": missing(form, "grant_type", "client_id", "client_secret")})
		return
	case "client_credentials":
	case "authorization_code", "password", "refresh_token", "implicit",
		"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer",
		"urn:ietf:params:oauth:grant-type:token-exchange":
		s.writeOAuthError(w, "unsupported_grant_type", "The requested authorization grant type is not supported by the server.",
			"credentials.oauth2.unsupported_grant_type", map[string]any{"grant_type": grant})
		return
	default:
		s.writeOAuthError(w, "invalid_grant", "Error in the authorization flow. Examples: client doesn't have access to all attributes in the requested scope, refresh token has been revoked, authorization code has already been consumed...",
			"credentials.oauth2.invalid_grant", nil)
		return
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if id == "" {
		s.writeOAuthError(w, "invalid_request", "The request has missing or invalid required parameters.",
			"credentials.oauth2.invalid_request.required_parameters_missing",
			map[string]any{"missing_parameters": missing(form, "client_id", "client_secret")})
		return
	}
	cred, ok := s.creds[id]
	if !ok || secret == "" {
		s.writeOAuthError(w, "invalid_client", "Client authentication failed (e.g., unknown client, wrong secret, no client authentication included, or unsupported authentication method).",
			"credentials.oauth2.invalid_client", nil)
		return
	}
	if cred.secret != secret {
		s.writeOAuthError(w, "unauthorized_client", "Client is not allowed to use the specified grant type flow.",
			"credentials.oauth2.unauthorized_client", nil)
		return
	}
	scopes := cred.scopes
	if sc := strings.Fields(form.Get("scope")); len(sc) > 0 {
		for _, want := range sc {
			if !slices.Contains(cred.scopes, want) {
				s.writeOAuthError(w, "invalid_scope", "One of the requested scopes is invalid.",
					"credentials.oauth2.invalid_scope", nil)
				return
			}
		}
		slices.Sort(sc)
		scopes = slices.Compact(sc)
	}
	t := s.tokens.issueStable(cred, scopes, now)
	writeJSON(w, http.StatusOK, oauthToken{
		AccessToken: t.value,
		ExpiresIn:   int(t.expires.Sub(now).Seconds()),
		TokenType:   "Bearer",
		Scope:       strings.Join(t.scopes, " "),
	})
}

func readForm(r *http.Request) (url.Values, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

func missing(form url.Values, keys ...string) []string {
	out := []string{}
	for _, k := range keys {
		if form.Get(k) == "" {
			out = append(out, k)
		}
	}
	return out
}

// handleV2Revoke implements POST /v2/auth/revoke: 200 with an empty body.
func (s *Server) handleV2Revoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	form, err := readForm(r)
	if err != nil || form.Get("token") == "" {
		s.writeOAuthError(w, "invalid_request", "The request has missing or invalid required parameters.",
			"credentials.oauth2.invalid_request.required_parameters_missing",
			map[string]any{"missing_parameters": []string{"token"}})
		return
	}
	s.tokens.revoke(form.Get("token"))
	w.WriteHeader(http.StatusOK)
}

type tokenKey struct{}

// v2 wraps a v2 handler with bearer authentication. Tokens from either API
// version are accepted [inf, NOTES.md §3.2]; v2 tokens with explicit scopes
// must carry the scope of the operation.
func (s *Server) v2(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := bearer(r)
		if !ok {
			s.writeProblem(w, http.StatusUnauthorized, "Unauthorized", "The request is not authorized. Provide a valid bearer token.", "common.unauthorized")
			return
		}
		t, ok := s.tokens.use(v, s.now())
		if !ok {
			s.writeProblem(w, http.StatusUnauthorized, "Unauthorized", "The provided access token is invalid or expired.", "common.unauthorized")
			return
		}
		need := "personio:attendances:read"
		if r.Method != http.MethodGet {
			need = "personio:attendances:write"
		}
		if t.scopes != nil && !slices.Contains(t.scopes, need) {
			s.writeProblem(w, http.StatusForbidden, "Forbidden", "The access token lacks the scope "+strconv.Quote(need)+".", "common.forbidden")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
	}
}
