package sandbox

import (
	"log/slog"
	"time"
)

// Credentials printed at start. The full credential may read every employee
// attribute; the restricted one lacks RestrictedAttributes in its whitelist.
const (
	FullClientID           = "sandbox-client-id"
	FullClientSecret       = "sandbox-client-secret"
	RestrictedClientID     = "sandbox-restricted-id"
	RestrictedClientSecret = "sandbox-restricted-secret"
)

// Keys of the custom (dynamic) employee attributes holding bank details, as
// configured in Roster's reimbursement settings. IBANAttribute uses the key and
// universal_id of the Personio spec example.
const (
	IBANAttribute          = "dynamic_21827"
	BICAttribute           = "dynamic_21828"
	AccountHolderAttribute = "dynamic_21829"
	// TitleAttribute is an unrelated custom attribute ("Titel" in the spec example).
	TitleAttribute = "dynamic_24407"
)

// RestrictedAttributes returns the employee attribute keys missing from the
// whitelist of the restricted credential. Personio omits them silently.
func RestrictedAttributes() []string {
	return []string{"last_working_day", "termination_date", "team", "cost_centers"}
}

// MaxEmployees is the largest demo company the generator builds.
const MaxEmployees = 50000

// queryCredentialsRemoval returns the date from which POST /v1/auth rejects
// query-string credentials with 403 (HUB changelog, NOTES.md §3.1).
func queryCredentialsRemoval() time.Time {
	return time.Date(2026, time.December, 4, 0, 0, 0, 0, time.UTC)
}

// Options configure a Server.
type Options struct {
	// Employees is the size of the generated company (1..MaxEmployees).
	Employees int
	// Seed makes the demo company deterministic.
	Seed int64
	// RateLimit enables Personio's rate limits (see RateLimits).
	RateLimit bool
	// LegacyTokens switches v1 tokens to the historical single-use rotation:
	// every token is invalid after one use and the response carries the next
	// one in its Authorization header.
	LegacyTokens bool
	// HalfDayAsInt serialises half_day_start/half_day_end of time-offs as 0/1
	// like the live API does, instead of the booleans of the spec.
	HalfDayAsInt bool
	// Now is the clock; it drives token expiry, rate limiting, timestamps of
	// changes and the dates the demo company is generated around.
	Now func() time.Time
	// Logger receives request and lifecycle logs. Defaults to a discarding logger.
	Logger *slog.Logger
	// BaseURL is used for absolute links (profile_picture, v2 cursors). Empty
	// means derived from the request's Host.
	BaseURL string
	// FaultSeed seeds the deterministic fault decisions (default: Seed).
	FaultSeed int64
	// BrokenRate is the fraction of employees (0..1) served with one
	// deliberate defect each, for bad-data tests: see broken.go and
	// (*Server).Broken. 0 serves clean data.
	BrokenRate float64
}

// DefaultOptions returns the options of `roster sandbox` without flags:
// 120 employees, seed 1, rate limits on, half days as 0/1 like the live API.
func DefaultOptions() Options {
	return Options{
		Employees:    120,
		Seed:         1,
		RateLimit:    true,
		HalfDayAsInt: true,
		Now:          time.Now,
	}
}

func (o Options) normalised() Options {
	if o.Employees <= 0 {
		o.Employees = 120
	}
	if o.Employees > MaxEmployees {
		o.Employees = MaxEmployees
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FaultSeed == 0 {
		o.FaultSeed = o.Seed
	}
	return o
}
