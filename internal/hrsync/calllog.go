package hrsync

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/store"
)

// callLog buffers the HR system calls of one run for the API log. The
// provider reports calls from its own goroutines; the run writes them in
// batches (with each page, and at the end).
type callLog struct {
	orgID, runID int64
	area         string

	mu      sync.Mutex
	pending []store.APICall
	total   int
}

func newCallLog(orgID, runID int64, area string) *callLog {
	return &callLog{orgID: orgID, runID: runID, area: area}
}

// add is the provider's OnCall callback.
func (l *callLog) add(ci hris.CallInfo) {
	runID := l.runID
	c := APICallOf(l.orgID, &runID, l.area, ci)
	l.mu.Lock()
	l.pending = append(l.pending, c)
	l.total++
	l.mu.Unlock()
}

// count is the number of calls reported so far.
func (l *callLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// take removes the buffered calls.
func (l *callLog) take() []store.APICall {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.pending
	l.pending = nil
	return out
}

// putBack returns calls whose write failed to the front of the buffer.
func (l *callLog) putBack(cs []store.APICall) {
	if len(cs) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(cs, l.pending...)
}

// flush writes the buffered calls with st (a transaction or the store).
func (l *callLog) flush(ctx context.Context, st *store.Store) error {
	cs := l.take()
	if err := st.InsertAPICalls(ctx, cs); err != nil {
		l.putBack(cs)
		return err
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// secretish matches tokens and bearer credentials that must never reach the
// log, should a provider put one in a path or an error text.
var secretish = regexp.MustCompile(`(?i)(bearer\s+\S+|papi-[A-Za-z0-9._~+/=-]+|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9._-]+)`)

func redactText(s string) string {
	if s == "" {
		return s
	}
	return secretish.ReplaceAllString(s, "[redacted]")
}

// redactQuery drops the values of credential-like parameters. Providers
// already redact their queries; this is a second line of defence.
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return redactText(q)
	}
	changed := false
	for k := range vals {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "secret") || strings.Contains(lk, "token") || strings.Contains(lk, "password") ||
			strings.Contains(lk, "authorization") || lk == "client_id" {
			vals[k] = []string{"[redacted]"}
			changed = true
		}
	}
	if !changed {
		return redactText(q)
	}
	return redactText(vals.Encode())
}

// APICallOf turns a reported HTTP call into an API log row (redacted and
// truncated); area is used when the call carries none.
func APICallOf(orgID int64, runID *int64, area string, ci hris.CallInfo) store.APICall {
	if ci.Area != "" {
		area = ci.Area
	}
	at := ci.Start
	if at.IsZero() {
		at = time.Now()
	}
	return store.APICall{
		OrgID: orgID, RunID: runID, Area: area, Op: truncate(ci.Op, 100), Method: ci.Method,
		Path: truncate(redactText(ci.Path), 500), Query: truncate(redactQuery(ci.Query), 1000), Status: ci.Status,
		DurationMS: ci.Duration.Milliseconds(), Bytes: ci.Bytes, Retries: ci.Retries,
		Error: truncate(redactText(ci.Err), 500), CreatedAt: at.UTC(),
	}
}
