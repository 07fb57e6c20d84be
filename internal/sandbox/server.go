package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Server is the Personio-compatible sandbox. It implements http.Handler and
// is safe for concurrent use.
type Server struct {
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
	attrs []attrDef
	creds map[string]*credential

	mu            sync.RWMutex // guards data and attendanceSeq
	data          *company
	attendanceSeq uint64

	tokens  *tokenStore
	limits  *rateLimiter
	faults  *faultInjector
	stats   *statsRecorder
	traceMu sync.Mutex
	traceN  uint64
	bufs    sync.Pool // *[]byte response buffers for employee pages
}

func (s *Server) getBuf() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 256*1024)
	return &b
}

func (s *Server) putBuf(b *[]byte) {
	if cap(*b) <= 4<<20 {
		s.bufs.Put(b)
	}
}

// New builds a server with a freshly generated demo company.
func New(opts Options) *Server {
	opts = opts.normalised()
	s := &Server{
		opts:   opts,
		log:    opts.Logger,
		attrs:  employeeAttributes(),
		tokens: newTokenStore(),
		limits: newRateLimiter(opts.RateLimit),
		faults: newFaultInjector(opts.FaultSeed),
		stats:  newStatsRecorder(),
	}
	s.creds = credentials(s.attrs)
	start := time.Now()
	s.data = generate(opts.Seed, opts.Employees, opts.Now())
	breakRecords(s.data, opts.Seed, opts.BrokenRate)
	s.log.Info("sandbox company generated", "employees", opts.Employees, "seed", opts.Seed,
		"time_offs", len(s.data.timeOffs), "attendance_periods", len(s.data.attendance),
		"duration", time.Since(start).Round(time.Millisecond))
	s.mux = s.routes()
	return s
}

func (s *Server) now() time.Time { return s.opts.Now() }

// routes lists every route of the sandbox.
func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", s.handleHealthz)

	// v1 Personnel Data API.
	m.HandleFunc("POST /v1/auth", s.handleV1Auth)
	m.HandleFunc("GET /v1/company/employees", s.v1(s.handleEmployees))
	m.HandleFunc("GET /v1/company/employees/attributes", s.v1(s.handleEmployeeAttributes))
	m.HandleFunc("GET /v1/company/employees/custom-attributes", s.v1(s.handleEmployeeAttributes))
	m.HandleFunc("GET /v1/company/employees/{id}", s.v1(s.handleEmployee))
	m.HandleFunc("GET /v1/company/employees/{id}/profile-picture/{width}", s.handleProfilePicture)
	m.HandleFunc("GET /v1/company/time-off-types", s.v1(s.handleTimeOffTypes))
	m.HandleFunc("GET /v1/company/time-offs", s.v1(s.handleTimeOffs))
	m.HandleFunc("POST /v1/company/time-offs", s.v1(s.handleCreateTimeOff))
	m.HandleFunc("GET /v1/company/time-offs/{id}", s.v1(s.handleTimeOff))
	m.HandleFunc("DELETE /v1/company/time-offs/{id}", s.v1(s.handleDeleteTimeOff))

	// v2.
	m.HandleFunc("POST /v2/auth/token", s.handleV2Token)
	m.HandleFunc("POST /v2/auth/revoke", s.handleV2Revoke)
	m.HandleFunc("GET /v2/attendance-periods", s.v2(s.handleListAttendance))
	m.HandleFunc("POST /v2/attendance-periods", s.v2(s.handleCreateAttendance))
	m.HandleFunc("GET /v2/attendance-periods/{id}", s.v2(s.handleGetAttendance))
	m.HandleFunc("PATCH /v2/attendance-periods/{id}", s.v2(s.handlePatchAttendance))
	m.HandleFunc("DELETE /v2/attendance-periods/{id}", s.v2(s.handleDeleteAttendance))

	// Control API (no auth).
	m.HandleFunc("POST /sandbox/employees", s.handleCtlHire)
	m.HandleFunc("GET /sandbox/employees/{id}", s.handleCtlEmployee)
	m.HandleFunc("PATCH /sandbox/employees/{id}", s.handleCtlUpdate)
	m.HandleFunc("DELETE /sandbox/employees/{id}", s.handleCtlDelete)
	m.HandleFunc("POST /sandbox/employees/{id}/transfer", s.handleCtlTransfer)
	m.HandleFunc("POST /sandbox/employees/{id}/terminate", s.handleCtlTerminate)
	m.HandleFunc("POST /sandbox/employees/{id}/rehire", s.handleCtlRehire)
	m.HandleFunc("POST /sandbox/time-offs", s.handleCtlAddTimeOff)
	m.HandleFunc("DELETE /sandbox/time-offs/{id}", s.handleCtlDeleteTimeOff)
	m.HandleFunc("GET /sandbox/faults", s.handleCtlGetFaults)
	m.HandleFunc("PUT /sandbox/faults", s.handleCtlSetFaults)
	m.HandleFunc("DELETE /sandbox/faults", s.handleCtlClearFaults)
	m.HandleFunc("GET /sandbox/stats", s.handleCtlStats)
	m.HandleFunc("POST /sandbox/stats/reset", s.handleCtlResetStats)
	m.HandleFunc("GET /sandbox/rate-limits", s.handleCtlRateLimits)
	m.HandleFunc("GET /sandbox/attendance-periods", s.handleCtlAttendance)
	m.HandleFunc("POST /sandbox/reset", s.handleCtlReset)

	m.HandleFunc("/", s.handleNotFound)
	return m
}

// ServeHTTP runs the request through stats, fault injection and rate
// limiting before the route's handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	_, pattern := s.mux.Handler(r)
	if pattern == "" || pattern == "/" {
		pattern = "unmatched"
	}
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		status := rec.status
		if status == 0 && !rec.reset {
			status = http.StatusOK
		}
		s.stats.record(pattern, status)
		s.log.Debug("sandbox request", "method", r.Method, "path", r.URL.Path, "route", pattern,
			"status", status, "duration", time.Since(start))
	}()

	api := strings.HasPrefix(r.URL.Path, "/v1/") || strings.HasPrefix(r.URL.Path, "/v2/")
	if api {
		if !s.injectFaults(rec, r, pattern) {
			return
		}
		if !s.limits.allow(rec, r, pattern, s.now()) {
			s.writeTooManyRequests(rec, r)
			return
		}
	}
	s.mux.ServeHTTP(rec, r)
}

// Start listens on addr (":0" picks a free port), serves until ctx is done
// and returns the base URL.
func (s *Server) Start(ctx context.Context, addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox server stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			_ = srv.Close()
		}
	}()
	base := "http://" + ln.Addr().String()
	s.log.Info("sandbox listening", "base_url", base)
	return base, nil
}

// baseURL returns the configured base URL or the one derived from the request.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return strings.TrimSuffix(s.opts.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

// handleNotFound answers unknown paths in the shape of their API version.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v2/"):
		s.writeProblem(w, http.StatusNotFound, "Not found", "The requested resource was not found.", "common.resource_not_found")
	case strings.HasPrefix(r.URL.Path, "/sandbox/"):
		writeControlError(w, http.StatusNotFound, "no such control route")
	default:
		// [inf] the live API's answer to unknown paths is not documented.
		writeV1Error(w, http.StatusNotFound, 404, "Not found")
	}
}

// traceID returns a fresh, deterministic id for error bodies.
func (s *Server) traceID() string {
	s.traceMu.Lock()
	s.traceN++
	n := s.traceN
	s.traceMu.Unlock()
	return fmt.Sprintf("5a9db0c5-%04x-4e11-%04x-%012x", (n>>48)&0xffff, (n>>32)&0xffff, n&0xffffffffffff)
}

// statusRecorder remembers the status written through it.
// A reset connection is counted with status 0.
type statusRecorder struct {
	http.ResponseWriter
	status int
	reset  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
