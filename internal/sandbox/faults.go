package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Faults switches fault injection on. Rates are fractions of the matching
// requests (0..1); the decisions are deterministic for a given fault seed and
// request order. Paths, when set, restricts faults to requests whose path
// starts with one of the prefixes. Only /v1 and /v2 requests are affected.
type Faults struct {
	Rate429       float64  `json:"rate_429"`
	Rate5xx       float64  `json:"rate_5xx"`
	LatencyMS     int      `json:"latency_ms"`
	HangRate      float64  `json:"hang_rate"`
	HangMS        int      `json:"hang_ms"`
	ResetRate     float64  `json:"reset_rate"`
	MalformedRate float64  `json:"malformed_rate"`
	Paths         []string `json:"paths,omitempty"`
	// InvalidateTokens invalidates every token issued so far, once, when the
	// faults are set; it is not remembered.
	InvalidateTokens bool `json:"invalidate_tokens"`
	// Seed, when non-zero, restarts the fault decisions from this seed.
	Seed int64 `json:"seed,omitempty"`
}

// FaultHeader marks responses whose status or body was produced by fault
// injection (value: 429, 5xx, malformed). Validators skip such bodies.
const FaultHeader = "X-Sandbox-Fault"

// defaultHang is how long a hang lasts when HangMS is 0.
const defaultHang = 30 * time.Second

func (f Faults) validate() error {
	for name, r := range map[string]float64{
		"rate_429": f.Rate429, "rate_5xx": f.Rate5xx, "hang_rate": f.HangRate,
		"reset_rate": f.ResetRate, "malformed_rate": f.MalformedRate,
	} {
		if r < 0 || r > 1 {
			return invalid("%s must be between 0 and 1, got %g", name, r)
		}
	}
	if f.LatencyMS < 0 || f.HangMS < 0 {
		return invalid("latency_ms and hang_ms must not be negative")
	}
	return nil
}

type faultInjector struct {
	mu     sync.Mutex
	seed   int64
	faults Faults
	rng    *rand.Rand
}

func newFaultInjector(seed int64) *faultInjector {
	return &faultInjector{seed: seed, rng: newRNG(seed, 0xfa17)}
}

// SetFaults replaces the fault configuration.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.InvalidateTokens {
		s.tokens.invalidateAll()
		s.log.Info("sandbox: all tokens invalidated")
		f.InvalidateTokens = false
	}
	fi := s.faults
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if f.Seed != 0 {
		fi.rng = newRNG(f.Seed, 0xfa17)
	}
	fi.faults = f
	s.log.Info("sandbox: faults set", "rate_429", f.Rate429, "rate_5xx", f.Rate5xx, "latency_ms", f.LatencyMS,
		"hang_rate", f.HangRate, "reset_rate", f.ResetRate, "malformed_rate", f.MalformedRate, "paths", f.Paths)
	return nil
}

// ClearFaults switches every fault off and restarts the decisions from the
// fault seed.
func (s *Server) ClearFaults() {
	fi := s.faults
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.faults = Faults{}
	fi.rng = newRNG(fi.seed, 0xfa17)
}

// Faults returns the current fault configuration.
func (s *Server) Faults() Faults {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	f := s.faults.faults
	f.Paths = append([]string(nil), f.Paths...)
	return f
}

type faultKind int

const (
	faultNone faultKind = iota
	faultReset
	faultHang
	fault429
	fault5xx
	faultMalformed
)

type faultDecision struct {
	kind    faultKind
	latency time.Duration
	hang    time.Duration
	status  int // for fault5xx
}

func (fi *faultInjector) decide(path string) faultDecision {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := fi.faults
	if len(f.Paths) > 0 {
		match := false
		for _, p := range f.Paths {
			if strings.HasPrefix(path, p) {
				match = true
				break
			}
		}
		if !match {
			return faultDecision{}
		}
	}
	d := faultDecision{latency: time.Duration(f.LatencyMS) * time.Millisecond}
	// Always draw in the same order so decisions depend only on the seed
	// and the number of matching requests.
	draws := [5]float64{fi.rng.Float64(), fi.rng.Float64(), fi.rng.Float64(), fi.rng.Float64(), fi.rng.Float64()}
	pick := fi.rng.IntN(3)
	switch {
	case draws[0] < f.ResetRate:
		d.kind = faultReset
	case draws[1] < f.HangRate:
		d.kind = faultHang
		d.hang = time.Duration(f.HangMS) * time.Millisecond
		if d.hang == 0 {
			d.hang = defaultHang
		}
	case draws[2] < f.Rate429:
		d.kind = fault429
	case draws[3] < f.Rate5xx:
		d.kind = fault5xx
		d.status = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[pick]
	case draws[4] < f.MalformedRate:
		d.kind = faultMalformed
	}
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// injectFaults applies the configured faults. It returns false when the
// response has been handled (or the connection dropped).
func (s *Server) injectFaults(w http.ResponseWriter, r *http.Request, pattern string) bool {
	d := s.faults.decide(r.URL.Path)
	if !sleepCtx(r.Context(), d.latency) {
		clientGone(w)
		return false
	}
	switch d.kind {
	case faultReset:
		if rec, ok := w.(*statusRecorder); ok {
			rec.reset = true
		}
		resetConnection(w)
		return false
	case faultHang:
		// Hold the request, then answer normally (a client with a shorter
		// timeout sees a hang).
		if !sleepCtx(r.Context(), d.hang) {
			clientGone(w)
			return false
		}
	case fault429:
		w.Header().Set(FaultHeader, "429")
		w.Header().Set("Retry-After", "1")
		s.writeTooManyRequests(w, r)
		return false
	case fault5xx:
		w.Header().Set(FaultHeader, "5xx")
		s.writeServerError(w, r, d.status)
		return false
	case faultMalformed:
		s.serveMalformed(w, r, pattern)
		return false
	}
	return true
}

// statusClientClosed counts requests the client abandoned during a delay
// (nginx's 499).
const statusClientClosed = 499

func clientGone(w http.ResponseWriter) {
	if rec, ok := w.(*statusRecorder); ok && rec.status == 0 {
		rec.status = statusClientClosed
	}
}

// resetConnection drops the TCP connection with a reset when possible.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, wrapped writers): abort the response.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (s *Server) writeServerError(w http.ResponseWriter, r *http.Request, status int) {
	if status == http.StatusInternalServerError {
		if strings.HasPrefix(r.URL.Path, "/v2/") {
			s.writeProblem(w, status, "Internal Server Error", "An internal error occurred.", "common.internal_server_error")
			return
		}
		writeV1Error(w, status, 500, "Internal server error")
		return
	}
	// Gateway errors come from the load balancer as HTML.
	text := http.StatusText(status)
	body := fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n",
		status, text, status, text)
	writeRaw(w, status, "text/html", []byte(body))
}

// bufferedWriter captures a response.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// serveMalformed runs the request and sends a truncated body with the
// original status and content type.
func (s *Server) serveMalformed(w http.ResponseWriter, r *http.Request, _ string) {
	bw := &bufferedWriter{header: http.Header{}}
	s.mux.ServeHTTP(bw, r)
	for k, v := range bw.header {
		w.Header()[k] = v
	}
	body := bw.body.Bytes()
	cut := body[:len(body)/2]
	if len(cut) == 0 {
		cut = []byte(`{"success":tru`)
	}
	w.Header().Set(FaultHeader, "malformed")
	w.Header().Del("Content-Length")
	status := bw.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(cut)
}
