// Package personio is a client of the Personio API (v1 Personnel Data and v2
// attendance periods) implementing hris.Provider.
//
// The client authenticates itself and caches tokens, follows Personio's
// inconsistent pagination rules, stays within Personio's rate limits,
// retries what is safe to retry and maps every failure to an *hris.Error.
// It is safe for concurrent use. NOTES.md in ../shared/personio-api documents
// the quirks it handles; behaviour that the notes mark as inferred is marked
// [inf] in comments.
package personio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

const providerName = "Personio"

// Client talks to one Personio account.
type Client struct {
	cfg     Config
	http    *http.Client
	ua      string
	buckets buckets
	v1      *v1Tokens
	v2      *tokenCache
	redact  redactor
}

var _ hris.Provider = (*Client)(nil)

// New validates cfg, applies defaults and returns a client. It makes no
// request; use Check to verify the credentials.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		http:    cfg.HTTPClient,
		ua:      "Roster/" + cfg.Version,
		buckets: newBuckets(cfg.Limits),
		redact:  redactor{secrets: []string{cfg.ClientSecret}},
	}
	fetchLimit := cfg.Timeout*time.Duration(cfg.MaxRetries+1) + cfg.BackoffMax
	c.v1 = &v1Tokens{
		tokenCache: tokenCache{now: cfg.Now, fetch: c.fetchV1Token, limit: fetchLimit},
		serial:     make(chan struct{}, 1),
		log:        cfg.Logger,
	}
	c.v2 = &tokenCache{now: cfg.Now, fetch: c.fetchV2Token, limit: fetchLimit}
	return c, nil
}

// BaseURL returns the API root the client talks to.
func (c *Client) BaseURL() string { return c.cfg.BaseURL }

// Check authenticates against the v1 API, reusing a cached token if it is
// still valid.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.v1.get(ctx)
	return err
}

type authKind int

const (
	authNone authKind = iota
	authV1
	authV2
)

// request describes one API operation.
type request struct {
	op          string // for errors and the API log, e.g. "list employees"
	method      string
	path        string     // e.g. "/v1/company/employees"
	query       url.Values // nil for none
	rawQuery    string     // used when query is nil (v2 next links)
	body        []byte
	contentType string
	accept      string // default application/json
	auth        authKind
	// safe marks a request that may be repeated after it possibly reached
	// the server: reads, deletes and full-state updates.
	safe bool
}

func (r *request) encodedQuery() string {
	if r.query != nil {
		return r.query.Encode()
	}
	return r.rawQuery
}

// outcome of one attempt.
type outcome struct {
	err    *hris.Error
	retry  bool          // transient failure
	wait   time.Duration // server-requested delay before the retry
	reauth bool          // the token was rejected
	token  string        // the token sent
	// applied is set when the request may have been applied although it
	// failed (it reached the server and the answer was lost or a 5xx).
	applied bool
}

// maxReauths is how often one request authenticates again after its token
// was refused (tokens can be invalidated more than once in a row).
const maxReauths = 2

// do runs r with retries, calling handle with every successful (2xx)
// response; handle must read what it needs from the body. A handle error
// counts as a malformed response. do returns the caller's context error when
// ctx ends, else nil or an *hris.Error.
func (c *Client) do(ctx context.Context, r *request, handle func(*http.Response) error) error {
	retries, attempts, reauths := 0, 0, 0
	mayBeApplied := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		o := c.attempt(ctx, r, attempts, handle)
		attempts++
		if o.err == nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if mayBeApplied && r.method == http.MethodDelete && o.err.Kind == hris.ErrNotFound {
			// An earlier attempt deleted it; only its answer was lost.
			return nil
		}
		mayBeApplied = mayBeApplied || o.applied
		if o.reauth && reauths >= maxReauths && o.err.Kind == hris.ErrBadCredentials {
			// The credentials were accepted moments ago (the tokens we
			// were refused came from them): a token problem on
			// Personio's side, not a reason to re-enter the secret.
			o.err.Kind = hris.ErrServer
		}
		if o.reauth && reauths < maxReauths {
			reauths++
			var err error
			if r.auth == authV1 {
				_, err = c.v1.refresh(ctx, o.token)
			} else {
				_, err = c.v2.refresh(ctx, o.token)
			}
			if err != nil {
				return err
			}
			continue
		}
		if !o.retry || retries >= c.cfg.MaxRetries {
			return o.err
		}
		retries++
		delay := o.wait
		if delay <= 0 {
			delay = backoff(c.cfg.BackoffBase, c.cfg.BackoffMax, retries, randJitter)
		}
		if o.err.Kind == hris.ErrRateLimited {
			// Everyone sharing the budget waits, not only this request.
			c.buckets.forPath(r.path).pause(delay)
		}
		c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "personio: retrying",
			slog.String("op", r.op), slog.String("path", r.path), slog.Int("retry", retries),
			slog.Duration("delay", delay), slog.String("reason", o.err.Kind.Error()))
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

func (c *Client) attempt(ctx context.Context, r *request, n int, handle func(*http.Response) error) (o outcome) {
	info := hris.CallInfo{
		Area: hris.AreaFrom(ctx), Op: r.op, Method: r.method, Path: r.path,
		Query: redactQuery(r.encodedQuery()), Retries: n,
	}
	defer func() {
		if c.cfg.OnCall == nil || info.Start.IsZero() {
			return // nothing was sent (no token, or the caller gave up)
		}
		if o.err != nil {
			info.Err = o.err.Kind.Error()
			if o.err.Timeout {
				info.Err = "timeout"
			} else if o.err.Err != nil && o.err.Kind != hris.ErrMalformed {
				info.Err += ": " + c.redact.clean(o.err.Err.Error())
			}
		}
		c.cfg.OnCall(info)
	}()

	// Serialise v1 calls while tokens may rotate, before waiting for the
	// rate limit: a request must leave as soon as its budget allows.
	release := func() {}
	if r.auth == authV1 {
		rel, err := c.v1.acquire(ctx)
		if err != nil {
			return outcome{err: c.ctxError(r, err)}
		}
		release = rel
	}
	defer release()

	switch r.auth {
	case authV1:
		tok, err := c.v1.get(ctx)
		if err != nil {
			return c.tokenFailure(r, err)
		}
		o.token = tok
	case authV2:
		tok, err := c.v2.get(ctx)
		if err != nil {
			return c.tokenFailure(r, err)
		}
		o.token = tok
	}
	sl, err := c.buckets.forPath(r.path).wait(ctx)
	if err != nil {
		return outcome{err: c.ctxError(r, err)}
	}

	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	// The transport reports from its own goroutine whether the request
	// left: a request that never did cannot have been applied.
	var wrote atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteHeaders: func() { wrote.Store(true) },
	})
	req, err := c.newRequest(actx, r, o.token)
	if err != nil {
		sl.unsent()
		o.err = &hris.Error{Provider: providerName, Kind: hris.ErrInvalid, Op: r.op, Method: r.method, Path: r.path, Err: err}
		return o
	}
	info.Start = time.Now()
	resp, err := c.http.Do(req)
	// The server took its token, if any, before it answered: book the
	// request now (the limiter's reasoning needs no earlier instant).
	if err != nil && !wrote.Load() {
		sl.unsent()
	} else {
		sl.sent()
	}
	if err != nil {
		info.Duration = time.Since(info.Start)
		if r.auth == authV1 {
			c.v1.consumed(o.token)
		}
		return c.transportOutcome(r, err, wrote.Load(), o)
	}
	body := &countingReader{r: resp.Body}
	resp.Body = body
	defer func() {
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, body, 4<<10)
		_ = body.r.Close()
		info.Duration = time.Since(info.Start)
		info.Bytes = body.n
	}()
	info.Status = resp.StatusCode
	if r.auth == authV1 {
		c.v1.observe(o.token, resp.Header, resp.StatusCode)
		release()
	}

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if handle == nil {
			return o
		}
		if err := handle(resp); err != nil {
			if body.err != nil {
				// The body broke off: a transport failure, not bad JSON.
				return c.transportOutcome(r, body.err, true, o)
			}
			if ctx.Err() != nil {
				o.err = c.ctxError(r, ctx.Err())
				return o
			}
			o.err = c.malformed(r.op, r.method, r.path, err)
			o.err.Status = resp.StatusCode
			o.err.Ambiguous = !r.safe
			o.retry = r.safe
			o.applied = true
		}
		return o
	}
	return c.statusOutcome(r, resp, o)
}

func (c *Client) newRequest(ctx context.Context, r *request, token string) (*http.Request, error) {
	u := c.cfg.BaseURL + r.path
	if q := r.encodedQuery(); q != "" {
		u += "?" + q
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.ua)
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if c.cfg.PartnerID != "" {
		req.Header.Set("X-Personio-Partner-ID", c.cfg.PartnerID)
	}
	if c.cfg.AppID != "" {
		req.Header.Set("X-Personio-App-ID", c.cfg.AppID)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

// transportOutcome classifies a request that got no (complete) response.
func (c *Client) transportOutcome(r *request, err error, wrote bool, o outcome) outcome {
	f := classifyTransport(err)
	o.err = &hris.Error{
		Provider: providerName, Kind: hris.ErrUnreachable, Op: r.op, Method: r.method, Path: r.path,
		URL: c.cfg.BaseURL, Timeout: f.timeout, Err: f.cause,
	}
	o.applied = wrote
	switch {
	case r.safe || !wrote:
		// Reads may be repeated; a request that was never written cannot
		// have been applied.
		o.retry = true
	default:
		o.err.Ambiguous = true
	}
	return o
}

// statusOutcome classifies a non-2xx response.
func (c *Client) statusOutcome(r *request, resp *http.Response, o outcome) outcome {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := c.redact.clean(errorMessage(raw))
	status := resp.StatusCode
	kind := kindForStatus(status)
	if r.auth == authNone {
		kind = c.authError(status)
		if status == http.StatusNotFound {
			msg = "no Personio API at " + c.cfg.BaseURL + r.path + "; check the base URL"
		}
	}
	o.err = &hris.Error{
		Provider: providerName, Kind: kind, Op: r.op, Method: r.method, Path: r.path,
		Status: status, Message: msg,
	}
	switch {
	case status == http.StatusUnauthorized && r.auth != authNone,
		status == http.StatusForbidden && r.auth != authNone && o.token != "":
		// Personio answers an invalid or consumed token with 401, sometimes
		// 403 ("Provided authorization is not valid"): authenticate again
		// once. A second 403 is a missing permission.
		o.reauth = true
		if r.auth == authV1 {
			c.v1.drop(o.token)
		}
	case status == http.StatusTooManyRequests:
		o.retry = true
		o.wait, _ = retryAfter(resp.Header, time.Now())
		o.err.RetryAfter = o.wait
	case status >= 500:
		o.applied = true
		if r.safe {
			o.retry = true
		} else {
			o.err.Ambiguous = true
		}
		if d, ok := retryAfter(resp.Header, time.Now()); ok {
			o.wait = d
		}
	}
	return o
}

// tokenFailure turns a failure to obtain a token into the outcome of r.
func (c *Client) tokenFailure(r *request, err error) outcome {
	var he *hris.Error
	if errors.As(err, &he) {
		return outcome{err: he}
	}
	return outcome{err: c.ctxError(r, err)}
}

func (c *Client) ctxError(r *request, err error) *hris.Error {
	return &hris.Error{
		Provider: providerName, Kind: hris.ErrUnreachable, Op: r.op, Method: r.method, Path: r.path,
		URL: c.cfg.BaseURL, Timeout: errors.Is(err, context.DeadlineExceeded), Err: err,
	}
}

func (c *Client) malformed(op, method, path string, err error) *hris.Error {
	return &hris.Error{
		Provider: providerName, Kind: hris.ErrMalformed, Op: op, Method: method, Path: path,
		Err: errors.New(c.redact.clean(err.Error())),
	}
}

// decodeJSON returns a handle that decodes the body into v.
func decodeJSON(v any) func(*http.Response) error {
	return func(resp *http.Response) error {
		dec := json.NewDecoder(resp.Body)
		if err := dec.Decode(v); err != nil {
			return err
		}
		return nil
	}
}

// countingReader counts the bytes read and remembers a read failure.
type countingReader struct {
	r   io.ReadCloser
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

// redactQuery removes personal data and secrets from a query for the log.
func redactQuery(q string) string {
	if q == "" {
		return ""
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return "[unparsable query]"
	}
	changed := false
	for k := range vals {
		switch strings.ToLower(k) {
		case "email", "client_id", "client_secret", "token", "access_token":
			vals[k] = []string{"REDACTED"}
			changed = true
		}
	}
	if !changed {
		return q
	}
	return vals.Encode()
}

// apiError builds an error for a response that made no sense.
func (c *Client) apiError(op, method, path, format string, args ...any) *hris.Error {
	return c.malformed(op, method, path, fmt.Errorf(format, args...))
}
