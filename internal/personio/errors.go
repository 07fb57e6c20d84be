package personio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/hris"
)

const maxErrorBody = 64 << 10

// errorMessage extracts Personio's explanation from an error body. Personio
// uses several shapes (NOTES.md §4.2, §8, §3.2):
//
//	v1:          {"success":false,"error":{"code":0,"message":"..."}}
//	v1 projects: {"success":false,"message":"..."} or {"error":{"name":["..."]}}
//	v2:          {"errors":[{"title":"...","detail":"..."}]}
//	OAuth2:      {"error":"invalid_client","error_description":"..."}
func errorMessage(body []byte) string {
	var v struct {
		Message          json.RawMessage `json:"message"`
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Errors           []struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if len(v.Error) > 0 && v.Error[0] == '{' {
		var e struct {
			Message json.RawMessage `json:"message"`
		}
		if json.Unmarshal(v.Error, &e) == nil {
			if s := textOf(e.Message); s != "" {
				return s
			}
		}
		// {"error":{"name":["Project name cannot be empty"]}}: any strings.
		return textOf(v.Error)
	}
	if v.ErrorDescription != "" {
		return v.ErrorDescription
	}
	if s := textOf(v.Error); s != "" {
		return s
	}
	if s := textOf(v.Message); s != "" {
		return s
	}
	var parts []string
	for _, e := range v.Errors {
		switch {
		case e.Detail != "":
			parts = append(parts, e.Detail)
		case e.Title != "":
			parts = append(parts, e.Title)
		}
	}
	return strings.Join(parts, "; ")
}

// textOf returns the strings inside a JSON value, joined with "; ".
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var parts []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if x != "" {
				parts = append(parts, x)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return strings.Join(parts, "; ")
}

// kindForStatus maps an HTTP error status to an error kind.
func kindForStatus(status int) error {
	switch {
	case status == http.StatusUnauthorized:
		return hris.ErrBadCredentials
	case status == http.StatusForbidden:
		return hris.ErrForbidden
	case status == http.StatusNotFound:
		return hris.ErrNotFound
	case status == http.StatusTooManyRequests:
		return hris.ErrRateLimited
	case status >= 500:
		return hris.ErrServer
	}
	return hris.ErrInvalid
}

// transportFailure classifies an error of http.Client.Do.
type transportFailure struct {
	timeout bool
	reset   bool
	cause   error // without the request URL
}

func classifyTransport(err error) transportFailure {
	f := transportFailure{cause: err}
	var ue *url.Error
	if errors.As(err, &ue) {
		// *url.Error repeats method and URL; keep only the cause.
		f.cause = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		f.timeout = true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		f.reset = true
	}
	f.cause = plainCause(f.cause, f.timeout)
	return f
}

// plainCause turns a network error into a short readable cause such as
// "connection refused".
func plainCause(err error, timeout bool) error {
	if timeout {
		return context.DeadlineExceeded
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errConnectionClosed
	}
	return err
}

var errConnectionClosed = errors.New("connection closed by the server")

// retryAfter reads how long the server asks to wait: Retry-After (seconds
// or HTTP date), else the x-ratelimit-* token-bucket headers Personio sends
// (NOTES.md §9). ok is false when the response says nothing.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, ok := parseFloat(v); ok && secs >= 0 {
			return time.Duration(secs * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if v := h.Get("X-Ratelimit-Reset"); v != "" {
		if secs, ok := parseFloat(v); ok && secs >= 0 {
			// Small values are seconds from now, large ones a Unix time.
			if secs > 1e9 {
				return max(time.Unix(int64(secs), 0).Sub(now), 0), true
			}
			return time.Duration(secs * float64(time.Second)), true
		}
	}
	remaining, okRem := parseFloat(h.Get("X-Ratelimit-Remaining"))
	replenish, okRate := parseFloat(h.Get("X-Ratelimit-Replenish-Rate"))
	if okRem && okRate && remaining < 1 && replenish > 0 {
		// One token arrives after 1/replenish seconds.
		return time.Duration((1 - remaining) / replenish * float64(time.Second)), true
	}
	return 0, false
}

func parseFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, ok := parseNumber(s)
	return f, ok
}

// redactor removes secrets from text that may echo them.
type redactor struct {
	secrets []string
}

func (r redactor) clean(s string) string {
	for _, sec := range r.secrets {
		if len(sec) >= 4 && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	// Bearer tokens Personio might echo.
	for _, prefix := range []string{"Bearer ", "papi-"} {
		for {
			i := strings.Index(s, prefix)
			if i < 0 {
				break
			}
			j := i + len(prefix)
			for j < len(s) && s[j] != ' ' && s[j] != '"' && s[j] != ',' {
				j++
			}
			s = s[:i] + "[redacted]" + s[j:]
		}
	}
	return truncate(s, 300)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
