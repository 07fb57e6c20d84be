package personio

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

// DefaultBaseURL is the public Personio API.
const DefaultBaseURL = "https://api.personio.de"

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxRetries  = 4
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
)

// Config configures a Client. Only ClientID and ClientSecret are required.
type Config struct {
	// BaseURL is the API root without /v1 or /v2; DefaultBaseURL when empty.
	BaseURL      string
	ClientID     string
	ClientSecret string
	// PartnerID and AppID are sent as X-Personio-Partner-ID and
	// X-Personio-App-ID when set; they must be UPPER_SNAKE_CASE.
	PartnerID string
	AppID     string
	// Version is sent in the User-Agent "Roster/<Version>" ("dev" when empty).
	Version string
	// HTTPClient sends the requests; a client with its own transport when nil.
	// Its Timeout should be zero: Timeout below bounds each attempt.
	HTTPClient *http.Client
	// Timeout bounds each attempt, including reading the body.
	Timeout time.Duration
	// Limits are the client-side rate limits. The zero value means
	// DefaultLimits(); use NoLimits() to disable them.
	Limits Limits
	// MaxRetries bounds the retries of one operation (0: DefaultMaxRetries,
	// negative: none).
	MaxRetries int
	// BackoffBase is the first retry delay, doubled per retry with full
	// jitter and capped at BackoffMax.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// OnCall, if set, is called after every HTTP attempt. It must be safe for
	// concurrent use and should return quickly.
	OnCall func(hris.CallInfo)
	// Logger receives retry and token diagnostics (never secrets).
	Logger *slog.Logger
	// Now is the clock for token expiry; time.Now when nil.
	Now func() time.Time
	// Location is the time zone of the Personio company. v2 date-times
	// without an offset are read and written in it, and updated_since is
	// sent in it. UTC when nil.
	Location *time.Location
}

func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	if strings.TrimSpace(cfg.ClientID) == "" {
		errs = append(errs, errors.New("client ID is required"))
	}
	if strings.TrimSpace(cfg.ClientSecret) == "" {
		errs = append(errs, errors.New("client secret is required"))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base URL %q must be an absolute http(s) URL", cfg.BaseURL))
	} else if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		errs = append(errs, fmt.Errorf("base URL %q must not contain credentials, a query or a fragment", u.Redacted()))
	}
	if cfg.PartnerID != "" && !upperSnake(cfg.PartnerID) {
		errs = append(errs, fmt.Errorf("partner ID %q must be UPPER_SNAKE_CASE (e.g. ACME)", cfg.PartnerID))
	}
	if cfg.AppID != "" && !upperSnake(cfg.AppID) {
		errs = append(errs, fmt.Errorf("app ID %q must be UPPER_SNAKE_CASE (e.g. MY_APPLICATION)", cfg.AppID))
	}
	if len(errs) > 0 {
		return cfg, fmt.Errorf("personio: invalid config: %w", errors.Join(errs...))
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: newTransport()}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits()
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.BackoffMax < cfg.BackoffBase {
		cfg.BackoffMax = cfg.BackoffBase
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return cfg, nil
}

// upperSnake reports whether s is UPPER_SNAKE_CASE: upper-case letters and
// digits in words separated by single underscores, starting with a letter.
func upperSnake(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' || s[len(s)-1] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' && s[i-1] != '_':
		default:
			return false
		}
	}
	return true
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}
