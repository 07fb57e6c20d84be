package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

const (
	sessionName = "roster"
	ctxUser     = "roster.user"
	ctxOrg      = "roster.org"
)

// requestLog writes one structured line per request with request, org and user ids.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		attrs := []any{
			"request_id", res.Header().Get(echo.HeaderXRequestID),
			"method", req.Method, "path", logPath(c), "route", c.Path(),
			"status", res.Status, "duration_ms", time.Since(start).Milliseconds(), "bytes", res.Size,
		}
		if u, ok := c.Get(ctxUser).(*store.User); ok {
			attrs = append(attrs, "org_id", u.OrgID, "user_id", u.ID)
		}
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		if req.URL.Path == "/healthz" || req.URL.Path == "/readyz" || req.URL.Path == "/metrics" || strings.HasPrefix(req.URL.Path, "/static/") {
			level = slog.LevelDebug
		}
		s.Logger.Log(req.Context(), level, "http request", attrs...)
		s.metrics.observe(c, start)
		return nil
	}
}

// logPath is the request path for the logs, with the token of an
// invitation link (a credential) redacted.
func logPath(c echo.Context) string {
	path := c.Request().URL.Path
	if tok := c.Param("token"); tok != "" {
		path = strings.ReplaceAll(path, tok, "REDACTED")
	}
	return path
}

// securityHeaders sets a strict CSP (no inline scripts) and the usual hardening headers.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		return next(c)
	}
}

// maxBodyBytes caps every request body (forms; Roster takes no uploads).
const maxBodyBytes = 1 << 20

// bodyLimit answers 413 with a clear page to a body over limit bytes,
// whether it announces its length or is sent chunked.
func bodyLimit(limit int64) echo.MiddlewareFunc {
	size := fmt.Sprintf("%d KB", limit>>10)
	if limit%(1<<20) == 0 {
		size = fmt.Sprintf("%d MB", limit>>20)
	}
	tooLarge := echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		"This form is too large: Roster accepts at most "+size+" per request. Shorten what you entered and send it again.")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Body == nil || req.Body == http.NoBody {
				return next(c)
			}
			if req.ContentLength > limit {
				return tooLarge
			}
			if req.ContentLength < 0 {
				// Unknown length: read at most limit+1 bytes to decide.
				b, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
				if err != nil {
					return echo.NewHTTPError(http.StatusBadRequest, "The request could not be read. Try again.")
				}
				if int64(len(b)) > limit {
					return tooLarge
				}
				req.Body = io.NopCloser(bytes.NewReader(b))
				req.ContentLength = int64(len(b))
				return next(c)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

// csrf checks a token on every unsafe request: the X-CSRF-Token header (htmx)
// or the _csrf form field (plain forms).
func (s *Server) csrf() echo.MiddlewareFunc {
	//nolint:gosec // G101: where to look for the token, not a credential
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		CookieName:     "roster_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.Secure,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   86400,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "Your form expired or was sent from another site. Reload the page and try again.")
		},
	})
}

func csrfToken(c echo.Context) string {
	t, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	return t
}

// loadSession resolves the session cookie to the current user, if any. The
// session of a deactivated or locked user, or of one whose access has not
// opened, is dropped: the visitor is anonymous again.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, _ := s.cookies.Get(c.Request(), sessionName)
		if tok, ok := sess.Values["sid"].(string); ok && tok != "" {
			u, org, err := s.Accounts.Authenticate(c.Request().Context(), tok)
			switch {
			case err == nil:
				c.Set(ctxUser, u)
				c.Set(ctxOrg, org)
			case errors.Is(err, roster.ErrNotFound):
				delete(sess.Values, "sid")
				_ = sess.Save(c.Request(), c.Response())
			case errors.Is(err, accounts.ErrNoAccess):
				// Locked, or access not open: the session ends now and the
				// login page says why.
				delete(sess.Values, "sid")
				sess.AddFlash("danger|" + err.Error())
				_ = sess.Save(c.Request(), c.Response())
			default:
				return err
			}
		}
		return next(c)
	}
}

func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

func currentOrg(c echo.Context) *store.Organization {
	o, _ := c.Get(ctxOrg).(*store.Organization)
	return o
}

func actor(c echo.Context) roster.Actor {
	u := currentUser(c)
	if u == nil {
		return roster.Actor{}
	}
	return roster.Actor{UserID: u.ID, OrgID: u.OrgID, Name: u.Name, Role: u.Role}
}

// requireLogin sends anonymous visitors to the login page (or setup on first run).
func (s *Server) requireLogin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		first, err := s.Accounts.NeedsSetup(c.Request().Context())
		if err != nil {
			return err
		}
		target := "/login"
		if first {
			target = "/setup"
		} else if c.Request().Method == http.MethodGet && c.Request().URL.Path != "/" {
			target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		}
		return redirect(c, target)
	}
}

// requireAdmin lets owners and admins through; others get 403.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := currentUser(c); u == nil || !u.IsAdmin() {
			return roster.ErrForbidden
		}
		return next(c)
	}
}

// redirect answers 303 (or an HX-Redirect for htmx requests that are not boosted).
func redirect(c echo.Context, to string) error {
	if c.Request().Header.Get("HX-Request") == "true" && c.Request().Header.Get("HX-Boosted") != "true" {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roster_http_requests_total", Help: "HTTP requests by route, method and status."}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "roster_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *httpMetrics) observe(c echo.Context, start time.Time) {
	route := c.Path()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(c.Response().Status)).Inc()
	m.duration.WithLabelValues(route, c.Request().Method).Observe(time.Since(start).Seconds())
}

func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServer(http.FS(fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
