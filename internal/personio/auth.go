package personio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/rosterhq/roster/internal/hris"
)

const (
	pathV1Auth  = "/v1/auth"
	pathV2Token = "/v2/auth/token" //nolint:gosec // G101: an endpoint path, not a credential
)

// tokenCache holds one bearer token until shortly before it expires and
// fetches a new one single-flight.
type tokenCache struct {
	now   func() time.Time
	fetch func(ctx context.Context) (token string, ttl time.Duration, err error)
	// limit bounds a shared fetch, which runs detached from the caller that
	// started it so that one caller's cancellation does not fail the others.
	limit time.Duration

	sf singleflight.Group

	mu  sync.Mutex
	tok string
	exp time.Time
	ttl time.Duration
}

// get returns the cached token or fetches one.
func (t *tokenCache) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	tok := t.validLocked()
	t.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	return t.refresh(ctx, "")
}

func (t *tokenCache) validLocked() string {
	if t.tok != "" && t.now().Before(t.exp) {
		return t.tok
	}
	return ""
}

// refresh fetches a new token because stale was rejected, unless another
// caller has already replaced stale with a valid token.
func (t *tokenCache) refresh(ctx context.Context, stale string) (string, error) {
	t.mu.Lock()
	if tok := t.validLocked(); tok != "" && tok != stale {
		t.mu.Unlock()
		return tok, nil
	}
	t.mu.Unlock()
	ch := t.sf.DoChan("token", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.limit)
		defer cancel()
		tok, ttl, err := t.fetch(fctx)
		if err != nil {
			return "", err
		}
		t.set(tok, ttl)
		return tok, nil
	})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	}
}

func (t *tokenCache) set(tok string, ttl time.Duration) {
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	// Refresh a minute early (a tenth of short lifetimes) so that a token
	// never expires in flight.
	margin := min(time.Minute, ttl/10)
	t.mu.Lock()
	t.tok, t.ttl, t.exp = tok, ttl, t.now().Add(ttl-margin)
	t.mu.Unlock()
}

// adopt replaces sent with got, the token a response returned, unless the
// cache has moved on already.
func (t *tokenCache) adopt(sent, got string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != sent || got == sent {
		return
	}
	margin := min(time.Minute, t.ttl/10)
	t.tok, t.exp = got, t.now().Add(t.ttl-margin)
}

// drop forgets sent (it was consumed or rejected).
func (t *tokenCache) drop(sent string) {
	t.mu.Lock()
	if t.tok == sent {
		t.tok = ""
	}
	t.mu.Unlock()
}

// Token modes of the v1 API (NOTES.md §3.1). Stable tokens (today's papi-
// tokens) may be used any number of times in parallel; legacy rotating tokens
// are valid for one request and every response carries the next one in its
// Authorization header. Until a response tells which, v1 calls are serialised.
const (
	modeUnknown int32 = iota
	modeStable
	modeRotating
)

// v1Tokens is the v1 token cache plus what the client learnt about rotation.
type v1Tokens struct {
	tokenCache
	mode atomic.Int32
	// serial is a one-slot semaphore held from choosing a token until the
	// response's token is adopted, while tokens are not known to be stable.
	serial chan struct{}
	log    *slog.Logger
}

// acquire takes the serial slot unless tokens are known to be stable. The
// returned release is idempotent.
func (v *v1Tokens) acquire(ctx context.Context) (release func(), err error) {
	if v.mode.Load() == modeStable {
		return func() {}, nil
	}
	select {
	case v.serial <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-v.serial }) }, nil
}

// observe updates token and mode from a response to a request sent with sent.
func (v *v1Tokens) observe(sent string, h http.Header, status int) {
	got := bearer(h.Get("Authorization"))
	switch {
	case got == "":
		if v.mode.Load() == modeRotating {
			// A rotating token is consumed by any request; without a
			// successor the next request must authenticate again.
			v.drop(sent)
		}
	case got != sent:
		if v.mode.Swap(modeRotating) != modeRotating {
			v.log.Info("personio: v1 tokens rotate; serialising v1 calls")
		}
		v.adopt(sent, got)
	default:
		if status < 300 {
			v.mode.CompareAndSwap(modeUnknown, modeStable)
		}
	}
}

// consumed forgets sent after a request that may have used it without an
// answer, when tokens rotate.
func (v *v1Tokens) consumed(sent string) {
	if v.mode.Load() == modeRotating {
		v.drop(sent)
	}
}

func bearer(h string) string {
	h = strings.TrimSpace(h)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		h = strings.TrimSpace(h[7:])
	}
	return h
}

// fetchV1Token authenticates at POST /v1/auth with the credentials in a JSON
// body (query-string credentials are deprecated, NOTES.md §3.1).
func (c *Client) fetchV1Token(ctx context.Context) (string, time.Duration, error) {
	//nolint:gosec // G117: the auth request must carry the secret; it goes to Personio only
	body, err := json.Marshal(struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}{c.cfg.ClientID, c.cfg.ClientSecret})
	if err != nil {
		return "", 0, err
	}
	var resp struct {
		Success bool `json:"success"`
		Data    struct {
			Token     string     `json:"token"`
			ExpiresIn flexNumber `json:"expires_in"`
		} `json:"data"`
	}
	err = c.do(ctx, &request{
		op: "authenticate", method: http.MethodPost, path: pathV1Auth,
		body: body, contentType: "application/json", safe: true,
	}, decodeJSON(&resp))
	if err != nil {
		return "", 0, err
	}
	if resp.Data.Token == "" {
		return "", 0, c.malformed("authenticate", http.MethodPost, pathV1Auth, errors.New("no token in the response"))
	}
	return resp.Data.Token, time.Duration(resp.Data.ExpiresIn.v * float64(time.Second)), nil
}

// fetchV2Token obtains an OAuth2 client-credentials token at POST
// /v2/auth/token (form-encoded only, NOTES.md §3.2).
func (c *Client) fetchV2Token(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
	}
	var resp struct {
		AccessToken string     `json:"access_token"`
		ExpiresIn   flexNumber `json:"expires_in"`
		TokenType   string     `json:"token_type"`
	}
	err := c.do(ctx, &request{
		op: "authenticate (v2)", method: http.MethodPost, path: pathV2Token,
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded", safe: true,
	}, decodeJSON(&resp))
	if err != nil {
		return "", 0, err
	}
	if resp.AccessToken == "" {
		return "", 0, c.malformed("authenticate (v2)", http.MethodPost, pathV2Token, errors.New("no access_token in the response"))
	}
	if resp.TokenType != "" && !strings.EqualFold(resp.TokenType, "bearer") {
		return "", 0, c.malformed("authenticate (v2)", http.MethodPost, pathV2Token, fmt.Errorf("unsupported token type %q", resp.TokenType))
	}
	return resp.AccessToken, time.Duration(resp.ExpiresIn.v * float64(time.Second)), nil
}

// authError maps a failed authentication response: every client error means
// the credentials were not accepted, except a 404 (wrong base URL) and 429.
func (c *Client) authError(status int) error {
	switch {
	case status == http.StatusNotFound:
		return hris.ErrInvalid
	case status == http.StatusTooManyRequests:
		return hris.ErrRateLimited
	case status >= 400 && status < 500:
		return hris.ErrBadCredentials
	}
	return kindForStatus(status)
}
