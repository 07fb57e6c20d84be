// Package web is Roster's Echo application: server setup, middleware, the
// error handler, the render helper and one file of handlers per feature.
// Every route is listed in routes.go.
package web

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/absences"
	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/bank"
	"github.com/rosterhq/roster/internal/dashboard"
	"github.com/rosterhq/roster/internal/drift"
	"github.com/rosterhq/roster/internal/health"
	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/orgchart"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/teammap"
	"github.com/rosterhq/roster/internal/teams"
	"github.com/rosterhq/roster/internal/timetrack"
)

// Pinger checks the database (readiness).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Schedule is the part of the scheduler the HR tab uses.
type Schedule interface {
	NextRuns(orgID int64) (full, partial time.Time)
	Replan(ctx context.Context, orgID int64) error
}

// Deps is everything the web app needs.
type Deps struct {
	Dev        bool
	SignupOpen bool
	BaseURL    string
	Secure     bool   // Secure cookies (https)
	SecretKey  []byte // 32 bytes; session keys are derived from it
	Logger     *slog.Logger
	Registry   *prometheus.Registry
	DB         Pinger
	Accounts   *accounts.Service
	Teams      *teams.Service
	HR         *hrconnect.Service
	Sync       *hrsync.Service
	TeamMap    *teammap.Service
	Linking    *linking.Service
	HRInvite   *hrinvite.Service
	Notify     *notify.Service
	Lifecycle  *lifecycle.Updater
	Org        *orgchart.Service
	Bank       *bank.Service // reimbursement details
	Dashboard  *dashboard.Service
	Absences   *absences.Service
	Schedule   Schedule      // nil: no scheduler in this process (tests)
	Mailbox    *mail.Mailbox // nil unless mails go to the dev mailbox
	Now        func() time.Time
	// Time is time tracking; Outbox the pushes to Personio (API log).
	Time   *timetrack.Service
	Outbox *outbox.Service
	// Health is the sync health problems (HR tab, alerts).
	Health *health.Service
	Drift  *drift.Service // the drift report and its fixes

	// SecretKeyPrevious (nil unless a key rotation is under way): sessions
	// signed with it stay valid; new cookies are always signed with SecretKey.
	SecretKeyPrevious []byte
}

// Server holds the Echo instance and the handlers' dependencies.
type Server struct {
	Deps
	echo    *echo.Echo
	cookies *sessions.CookieStore
	metrics *httpMetrics
}

// New builds the Echo app with every route.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	var keyPairs [][]byte // hash and block key per secret key, current first
	for _, secret := range [][]byte{d.SecretKey, d.SecretKeyPrevious} {
		if secret == nil && len(keyPairs) > 0 {
			continue
		}
		hashKey, err := hkdf.Key(sha256.New, secret, nil, "roster session hash", 32)
		if err != nil {
			return nil, err
		}
		blockKey, err := hkdf.Key(sha256.New, secret, nil, "roster session block", 32)
		if err != nil {
			return nil, err
		}
		keyPairs = append(keyPairs, hashKey, blockKey)
	}
	cs := sessions.NewCookieStore(keyPairs...)
	cs.Options = &sessions.Options{Path: "/", MaxAge: int(accounts.SessionTTL / time.Second), HttpOnly: true, Secure: d.Secure, SameSite: http.SameSiteLaxMode}
	m, err := newHTTPMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, echo: echo.New(), cookies: cs, metrics: m}
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.handleError
	s.routes()
	return s, nil
}

// Handler returns the http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo exposes the Echo instance (tests enumerate its routes).
func (s *Server) Echo() *echo.Echo { return s.echo }
