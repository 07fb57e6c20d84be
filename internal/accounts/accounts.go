// Package accounts holds the use cases of organisations, users, logins,
// sessions and invitations.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/auth"
	rmail "github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Durations.
const (
	SessionTTL    = 14 * 24 * time.Hour
	InvitationTTL = 7 * 24 * time.Hour
)

// Errors.
var (
	ErrBadLogin  = errors.New("The email or password is not correct.")
	ErrThrottled = errors.New("Too many failed attempts. Try again in a few minutes.")
	ErrSetupDone = errors.New("setup has already been completed")
	ErrBadInvite = errors.New("This invitation link is invalid, expired or already used. Ask an admin to send a new one.")
	// ErrNoAccess is matched (errors.Is) by every *AccessError.
	ErrNoAccess = errors.New("no access")
)

// AccessError refuses a login or a session of a user whose password is
// right but who may not use Roster now: locked, or access not open yet.
// Its message is meant for that user.
type AccessError struct {
	Locked     bool
	AccessFrom string // "YYYY-MM-DD" when the access opens later
}

func (e *AccessError) Error() string {
	if e.Locked {
		return "Your account is locked. Ask an admin of your organisation."
	}
	return "Your access opens on " + longDay(e.AccessFrom) + "."
}

// Is makes errors.Is(err, ErrNoAccess) true.
func (e *AccessError) Is(target error) bool { return target == ErrNoAccess }

// longDay renders "2026-12-01" as "Tuesday 1 December 2026".
func longDay(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("Monday 2 January 2006")
}

// Service runs the account use cases.
type Service struct {
	store    *store.Store
	mailer   rmail.Sender
	hasher   auth.Hasher
	throttle *auth.Throttle
	baseURL  string
	now      func() time.Time
	log      *slog.Logger
}

// Options configure a Service.
type Options struct {
	Store      *store.Store
	Mailer     rmail.Sender
	BaseURL    string
	BcryptCost int
	Now        func() time.Time
	Logger     *slog.Logger
}

// New builds the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		store: o.Store, mailer: o.Mailer, hasher: auth.Hasher{Cost: o.BcryptCost},
		throttle: auth.NewThrottle(20, 5, 15*time.Minute, o.Now),
		baseURL:  strings.TrimRight(o.BaseURL, "/"), now: o.Now, log: o.Logger,
	}
}

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s is a plain address (no display name).
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@"):], ".")
}

// ---- setup and signup ----

// SetupInput creates an organisation and its owner.
type SetupInput struct {
	OrgName, TimeZone, OwnerName, Email, Password string
}

// NeedsSetup reports whether no organisation exists yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.store.CountOrganizations(ctx)
	return n == 0, err
}

// Setup creates the first organisation; it fails once one exists.
func (s *Service) Setup(ctx context.Context, in SetupInput) (*store.Organization, *store.User, error) {
	first, err := s.NeedsSetup(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !first {
		return nil, nil, ErrSetupDone
	}
	return s.CreateOrganization(ctx, in)
}

// CreateOrganization validates in and creates an organisation with its owner
// (signup, CLI, setup).
func (s *Service) CreateOrganization(ctx context.Context, in SetupInput) (*store.Organization, *store.User, error) {
	in.OrgName = strings.TrimSpace(in.OrgName)
	in.OwnerName = strings.TrimSpace(in.OwnerName)
	in.TimeZone = strings.TrimSpace(in.TimeZone)
	in.Email = NormalizeEmail(in.Email)
	p := roster.Problems{}
	if in.OrgName == "" {
		p.Add("org_name", "Enter the organisation's name.")
	} else if len(in.OrgName) > 120 {
		p.Add("org_name", "Use at most 120 characters.")
	}
	if in.TimeZone == "" {
		p.Add("timezone", "Choose a time zone.")
	} else if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "Local" {
		p.Add("timezone", fmt.Sprintf("%q is not a known time zone (e.g. Europe/Berlin).", in.TimeZone))
	}
	if in.OwnerName == "" {
		p.Add("name", "Enter your name.")
	}
	if !ValidEmail(in.Email) {
		p.Add("email", "Enter a valid email address, like name@company.com.")
	}
	if err := auth.ValidatePassword(in.Password, in.Email); err != nil {
		p.Add("password", err.Error())
	}
	if err := p.Err(); err != nil {
		return nil, nil, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return nil, nil, err
	}
	now := s.now().UTC()
	var org store.Organization
	var owner store.User
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		slug, err := uniqueSlug(ctx, tx, in.OrgName)
		if err != nil {
			return err
		}
		org = store.Organization{Slug: slug, Name: in.OrgName, TimeZone: in.TimeZone, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateOrganization(ctx, &org); err != nil {
			return err
		}
		owner = store.User{OrgID: org.ID, Email: in.Email, Name: in.OwnerName, PasswordHash: hash,
			Role: store.RoleOwner, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateUser(ctx, &owner); err != nil {
			return err
		}
		return tx.AddAudit(ctx, &store.AuditEvent{OrgID: org.ID, ActorID: &owner.ID, ActorName: owner.Name,
			Action: "org.created", TargetType: "organization", TargetID: &org.ID, TargetLabel: org.Name, CreatedAt: now})
	})
	if err != nil {
		return nil, nil, err
	}
	return &org, &owner, nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slugify(name string) string {
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "é", "e", "è", "e", "à", "a", "ç", "c", "ñ", "n", "ø", "o", "å", "a")
	s := nonSlug.ReplaceAllString(r.Replace(strings.ToLower(name)), "-")
	s = strings.Trim(s, "-")
	if len(s) > 40 {
		s = strings.Trim(s[:40], "-")
	}
	if s == "" {
		s = "org"
	}
	return s
}

func uniqueSlug(ctx context.Context, st *store.Store, name string) (string, error) {
	base := slugify(name)
	for i := 1; ; i++ {
		slug := base
		if i > 1 {
			slug = fmt.Sprintf("%s-%d", base, i)
		}
		taken, err := st.SlugTaken(ctx, slug)
		if err != nil {
			return "", err
		}
		if !taken {
			return slug, nil
		}
	}
}

// ---- login and sessions ----

// Login checks credentials, throttled per IP and email. With several accounts
// under one email (in different organisations), orgSlug picks one; without it
// the first organisation whose password matches wins. When the password is
// right but the account may not log in now (locked, access not open yet) it
// returns an *AccessError, and only then: a wrong password never tells.
func (s *Service) Login(ctx context.Context, email, password, ip, orgSlug string) (*store.User, error) {
	email = NormalizeEmail(email)
	keys := []string{"ip:" + ip, "email:" + email}
	if blocked, _ := s.throttle.Blocked(keys...); blocked {
		return nil, ErrThrottled
	}
	users, err := s.store.UsersByEmailAllOrgs(ctx, email)
	if err != nil {
		return nil, err
	}
	var refused error
	for _, u := range users {
		if u.Status != store.StatusActive {
			continue
		}
		var org *store.Organization
		if orgSlug != "" {
			org, err = s.store.Organization(ctx, u.OrgID)
			if err != nil || org.Slug != orgSlug {
				continue
			}
		}
		if !s.hasher.Check(u.PasswordHash, password) {
			continue
		}
		if err := s.CheckAccess(ctx, &u, org); err != nil {
			if !errors.Is(err, ErrNoAccess) {
				return nil, err
			}
			if refused == nil {
				refused = err
			}
			continue
		}
		s.throttle.Reset("email:" + email)
		_ = s.store.TouchLogin(ctx, u.OrgID, u.ID, s.now().UTC())
		return &u, nil
	}
	if refused != nil {
		s.throttle.Reset("email:" + email)
		return nil, refused
	}
	if len(users) == 0 {
		s.hasher.CheckDummy(password)
	}
	s.throttle.Fail(keys...)
	return nil, ErrBadLogin
}

// CheckAccess reports, as an *AccessError, a user who may not use Roster
// now: locked, or whose AccessFrom day (in the organisation's time zone)
// has not come yet. org may be nil; it is loaded when needed.
func (s *Service) CheckAccess(ctx context.Context, u *store.User, org *store.Organization) error {
	if u.LockedAt != nil {
		return &AccessError{Locked: true}
	}
	if u.AccessFrom == "" {
		return nil
	}
	if org == nil {
		var err error
		if org, err = s.store.Organization(ctx, u.OrgID); err != nil {
			return err
		}
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	if today := s.now().In(loc).Format(time.DateOnly); u.AccessFrom > today {
		return &AccessError{AccessFrom: u.AccessFrom}
	}
	return nil
}

// StartSession creates a session for u and returns the cookie token.
func (s *Service) StartSession(ctx context.Context, u *store.User, ip, userAgent string) (string, error) {
	raw, hash := auth.NewToken()
	now := s.now().UTC()
	if len(userAgent) > 250 {
		userAgent = userAgent[:250]
	}
	err := s.store.CreateSession(ctx, &store.Session{ID: hash, UserID: u.ID, OrgID: u.OrgID, CreatedAt: now,
		ExpiresAt: now.Add(SessionTTL), LastSeenAt: now, IP: ip, UserAgent: userAgent})
	return raw, err
}

// Authenticate resolves a session token to its active user and organisation.
// A deactivated user's session gives roster.ErrNotFound; a locked user's, or
// one whose access has not opened, an *AccessError; both end the user's
// sessions.
func (s *Service) Authenticate(ctx context.Context, token string) (*store.User, *store.Organization, error) {
	if token == "" {
		return nil, nil, roster.ErrNotFound
	}
	su, err := s.store.SessionWithUser(ctx, auth.HashToken(token), s.now().UTC())
	if err != nil {
		return nil, nil, err
	}
	if su.User.Status != store.StatusActive {
		_ = s.store.DeleteUserSessions(ctx, su.User.OrgID, su.User.ID)
		return nil, nil, roster.ErrNotFound
	}
	org, err := s.store.Organization(ctx, su.User.OrgID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.CheckAccess(ctx, &su.User, org); err != nil {
		// A locked user, or one whose access is not open (yet), loses every
		// session at once.
		if errors.Is(err, ErrNoAccess) {
			_ = s.store.DeleteUserSessions(ctx, su.User.OrgID, su.User.ID)
		}
		return nil, nil, err
	}
	if now := s.now().UTC(); now.Sub(su.Session.LastSeenAt) > time.Minute {
		_ = s.store.TouchSession(ctx, su.Session.ID, now)
	}
	return &su.User, org, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, auth.HashToken(token))
}

func (s *Service) audit(ctx context.Context, st *store.Store, a roster.Actor, action, targetType string, targetID int64, label, details string) error {
	return st.AddAudit(ctx, store.NewAuditEvent(a, action, targetType, targetID, label, details, s.now().UTC()))
}
