// Package hrconnect holds the use cases of an organisation's HR connection:
// the live credential check, connecting (secret encrypted at rest),
// disconnecting, sync settings, and building the provider for the sync.
package hrconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
)

// ProviderPersonio is the only provider today; Providers lists what the wizard offers.
const ProviderPersonio = "personio"

// Providers the wizard offers (an interface with one implementation today).
var Providers = []ProviderInfo{{Key: ProviderPersonio, Name: "Personio", DefaultBaseURL: personio.DefaultBaseURL}}

// ProviderInfo describes an HR system Roster can connect to.
type ProviderInfo struct{ Key, Name, DefaultBaseURL string }

// UsedAttribute is an employee attribute Roster reads, and what it powers.
type UsedAttribute struct {
	Key, Label, Feature string
	Required            bool
}

// UsedAttributes are the attributes Roster uses, with the feature a missing one disables.
var UsedAttributes = []UsedAttribute{
	{"first_name", "First name", "Names of synced users", true},
	{"last_name", "Last name", "Names of synced users", true},
	{"email", "Email", "Linking existing users and inviting new hires", true},
	{"status", "Status", "Deactivating employees who turn inactive", true},
	{"position", "Position", "Job titles from Personio", false},
	{"department", "Department", "Team mapping by department", false},
	{"team", "Team", "Team mapping by Personio team", false},
	{"office", "Office", "Office filter", false},
	{"subcompany", "Subcompany", "Legal-entity filter", false},
	{"cost_centers", "Cost centers", "Cost-center filter when inviting and on users", false},
	{"supervisor", "Supervisor", "Manager rights and the org chart", false},
	{"hire_date", "Hire date", "Access from hire date and upcoming joiners", false},
	{"last_working_day", "Last day of work", "Automatic offboarding on the last day", false},
	{"termination_date", "Termination date", "Offboarding at the termination date", false},
	{"employment_type", "Employment type", "Employment-type filter", false},
	{"weekly_working_hours", "Weekly hours", "Weekly hours on profiles", false},
	{"profile_picture", "Profile picture", "Profile pictures", false},
}

// Service runs the connection use cases.
type Service struct {
	store      *store.Store
	box        *secrets.Box
	now        func() time.Time
	log        *slog.Logger
	httpClient *http.Client
	limits     personio.Limits
	// SandboxURL, when set (dev), is offered by "Use the sandbox".
	SandboxURL string
}

// Options configure the service.
type Options struct {
	Store      *store.Store
	Box        *secrets.Box
	Now        func() time.Time
	Logger     *slog.Logger
	HTTPClient *http.Client
	Limits     personio.Limits // zero: Personio's published limits
	SandboxURL string
}

// New builds the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: o.Store, box: o.Box, now: o.Now, log: o.Logger, httpClient: o.HTTPClient, limits: o.Limits, SandboxURL: o.SandboxURL}
}

// Credentials are what the wizard asks for. An empty ClientSecret on an
// existing connection keeps the stored one.
type Credentials struct {
	Provider, BaseURL, ClientID, ClientSecret, PartnerID, AppID string
}

// AttributeCheck is one row of the check table.
type AttributeCheck struct {
	UsedAttribute
	Readable bool
}

// CheckResult is the outcome of a successful live check.
type CheckResult struct {
	Attributes []AttributeCheck
	Readable   []string
	Missing    int
}

var upperSnake = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

// normalise validates the form; the stored secret fills an empty one.
func (s *Service) normalise(ctx context.Context, a roster.Actor, c *Credentials) error {
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	c.ClientID = strings.TrimSpace(c.ClientID)
	c.ClientSecret = strings.TrimSpace(c.ClientSecret)
	c.PartnerID = strings.TrimSpace(c.PartnerID)
	c.AppID = strings.TrimSpace(c.AppID)
	if c.Provider == "" {
		c.Provider = ProviderPersonio
	}
	if c.BaseURL == "" {
		c.BaseURL = personio.DefaultBaseURL
	}
	p := roster.Problems{}
	if c.Provider != ProviderPersonio {
		p.Add("provider", "Choose an HR system.")
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		p.Add("base_url", "Enter the API base URL, like https://api.personio.de.")
	}
	if c.ClientID == "" {
		p.Add("client_id", "Enter the client ID from Personio › Settings › Integrations › API credentials.")
	}
	if c.ClientSecret == "" {
		if old, err := s.store.HRConnection(ctx, a.OrgID); err == nil && old.ClientSecretEnc != "" {
			secret, err := s.box.Open(old.ClientSecretEnc, aad(a.OrgID))
			if err != nil {
				p.Add("client_secret", "The stored secret cannot be decrypted (was ROSTER_SECRET_KEY changed?). Enter the client secret again.")
			} else {
				c.ClientSecret = secret
			}
		} else {
			p.Add("client_secret", "Enter the client secret.")
		}
	}
	if c.PartnerID != "" && !upperSnake.MatchString(c.PartnerID) {
		p.Add("partner_id", "Use UPPER_SNAKE_CASE, like ACME_PARTNER.")
	}
	if c.AppID != "" && !upperSnake.MatchString(c.AppID) {
		p.Add("app_id", "Use UPPER_SNAKE_CASE, like ROSTER.")
	}
	return p.Err()
}

func aad(orgID int64) string { return "org:" + strconv.FormatInt(orgID, 10) + ":hr_client_secret" }

func (s *Service) client(c Credentials, onCall func(hris.CallInfo), forCheck bool, loc *time.Location) (*personio.Client, error) {
	cfg := personio.Config{BaseURL: c.BaseURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, PartnerID: c.PartnerID, AppID: c.AppID,
		HTTPClient: s.httpClient, Limits: s.limits, OnCall: onCall, Logger: s.log, Now: s.now, Location: loc}
	if forCheck {
		// The check answers a person waiting at a form: fail fast.
		cfg.Timeout, cfg.MaxRetries = 10*time.Second, -1
	}
	return personio.New(cfg)
}

// Check authenticates live and reads the readable attributes. Nothing is saved.
func (s *Service) Check(ctx context.Context, a roster.Actor, c Credentials) (*CheckResult, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	if err := s.normalise(ctx, a, &c); err != nil {
		return nil, err
	}
	return s.check(ctx, a.OrgID, c)
}

// check runs the live check; its calls go to the organisation's API log
// (area "connection"), including failed ones.
func (s *Service) check(ctx context.Context, orgID int64, c Credentials) (*CheckResult, error) {
	var mu sync.Mutex
	var calls []store.APICall
	onCall := func(ci hris.CallInfo) {
		mu.Lock()
		calls = append(calls, hrsync.APICallOf(orgID, nil, "connection", ci))
		mu.Unlock()
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		if err := s.store.InsertAPICalls(context.WithoutCancel(ctx), calls); err != nil {
			s.log.Error("write API log of the connection check", "org_id", orgID, "err", err)
		}
	}()
	cl, err := s.client(c, onCall, true, nil)
	if err != nil {
		return nil, &roster.ValidationError{Fields: map[string]string{"": err.Error()}}
	}
	ctx = hris.WithArea(ctx, "connection")
	if err := cl.Check(ctx); err != nil {
		return nil, checkError(err)
	}
	attrs, err := cl.ReadableAttributes(ctx)
	if err != nil {
		return nil, checkError(err)
	}
	readable := make([]string, 0, len(attrs))
	for _, at := range attrs {
		readable = append(readable, at.Key)
	}
	return Evaluate(readable), nil
}

// Evaluate builds the check table from the readable attribute keys.
func Evaluate(readable []string) *CheckResult {
	r := &CheckResult{Readable: readable}
	for _, u := range UsedAttributes {
		ok := slices.Contains(readable, u.Key)
		if !ok {
			r.Missing++
		}
		r.Attributes = append(r.Attributes, AttributeCheck{UsedAttribute: u, Readable: ok})
	}
	return r
}

// checkError turns a provider failure into a message on the form.
func checkError(err error) error {
	field := ""
	switch {
	case errors.Is(err, hris.ErrBadCredentials):
		field = "client_secret"
	case errors.Is(err, hris.ErrUnreachable):
		field = "base_url"
	}
	return &roster.ValidationError{Fields: map[string]string{field: hris.UserMessage(err)}}
}

// Connect checks the credentials live and, only when the check passes, stores
// them (secret encrypted) and records who connected.
func (s *Service) Connect(ctx context.Context, a roster.Actor, c Credentials) (*CheckResult, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	if err := s.normalise(ctx, a, &c); err != nil {
		return nil, err
	}
	res, err := s.check(ctx, a.OrgID, c)
	if err != nil {
		return nil, err
	}
	enc, err := s.box.Seal(c.ClientSecret, aad(a.OrgID))
	if err != nil {
		return nil, err
	}
	readable, _ := json.Marshal(res.Readable)
	now := s.now().UTC()
	uid := a.UserID
	conn := store.HRConnection{OrgID: a.OrgID, Provider: c.Provider, BaseURL: c.BaseURL, ClientID: c.ClientID, ClientSecretEnc: enc,
		SecretLast4: secrets.Last4(c.ClientSecret), PartnerID: c.PartnerID, AppID: c.AppID, ReadableAttributes: string(readable),
		Status: store.ConnConnected, ConnectedAt: &now, CheckedAt: &now, CreatedAt: now, UpdatedAt: now}
	if a.UserID != 0 {
		conn.ConnectedByID = &uid
	}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if old, err := tx.HRConnection(ctx, a.OrgID); err == nil {
			conn.ID, conn.CreatedAt = old.ID, old.CreatedAt
		}
		if err := tx.SaveHRConnection(ctx, &conn); err != nil {
			return err
		}
		return audit(ctx, tx, a, "hr.connected", fmt.Sprintf("Personio at %s, client %s, %d of %d attributes readable", c.BaseURL, c.ClientID, len(UsedAttributes)-res.Missing, len(UsedAttributes)), now)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Disconnect stops syncing; every user and record is kept.
func (s *Service) Disconnect(ctx context.Context, a roster.Actor) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	conn, err := s.store.HRConnection(ctx, a.OrgID)
	if err != nil {
		return err
	}
	if conn.Status != store.ConnConnected {
		return nil
	}
	now := s.now().UTC()
	conn.Status, conn.DisconnectedAt, conn.UpdatedAt = store.ConnDisconnected, &now, now
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SaveHRConnection(ctx, conn); err != nil {
			return err
		}
		return audit(ctx, tx, a, "hr.disconnected", "users and synced data kept", now)
	})
}

// Connection returns the organisation's connection, or ErrNotFound.
func (s *Service) Connection(ctx context.Context, a roster.Actor) (*store.HRConnection, error) {
	return s.store.HRConnection(ctx, a.OrgID)
}

// Provider builds the HR client of a connected organisation for the sync;
// onCall receives every HTTP call (API log).
func (s *Service) Provider(ctx context.Context, orgID int64, onCall func(hris.CallInfo)) (hris.Provider, error) {
	conn, err := s.store.HRConnection(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("hr connection: %w", err)
	}
	if conn.Status != store.ConnConnected {
		return nil, errors.New("the HR software is disconnected")
	}
	secret, err := s.box.Open(conn.ClientSecretEnc, aad(orgID))
	if err != nil {
		return nil, err
	}
	org, err := s.store.Organization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	cl, err := s.client(Credentials{BaseURL: conn.BaseURL, ClientID: conn.ClientID, ClientSecret: secret, PartnerID: conn.PartnerID, AppID: conn.AppID}, onCall, false, loc)
	if err != nil {
		return nil, err
	}
	return cl, nil
}

func audit(ctx context.Context, tx *store.Store, a roster.Actor, action, details string, now time.Time) error {
	return tx.AddAudit(ctx, store.NewAuditEvent(a, action, "hr_connection", 0, "Personio", details, now))
}
