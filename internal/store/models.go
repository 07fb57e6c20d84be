package store

import (
	"time"

	"github.com/rosterhq/roster/internal/roster"
)

// Roles, from most to least privileged.
const (
	RoleOwner   = roster.RoleOwner
	RoleAdmin   = roster.RoleAdmin
	RoleManager = "manager"
	RoleMember  = "member"
)

// Roles lists every role, most privileged first.
var Roles = []string{RoleOwner, RoleAdmin, RoleManager, RoleMember}

// User statuses.
const (
	StatusInvited     = "invited"
	StatusActive      = "active"
	StatusDeactivated = "deactivated"
)

// Organization is a tenant.
type Organization struct {
	ID        int64 `gorm:"primaryKey"`
	Slug      string
	Name      string
	TimeZone  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a person in an organisation's workspace.
type User struct {
	ID            int64 `gorm:"primaryKey"`
	OrgID         int64
	Email         string
	Name          string
	PasswordHash  string
	Role          string
	Status        string
	JobTitle      string
	PersonioID    *int64 // the linked Personio employee, if any
	LastLoginAt   *time.Time
	DeactivatedAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// IsAdmin reports owner or admin.
func (u *User) IsAdmin() bool { return u.Role == RoleOwner || u.Role == RoleAdmin }

// Team groups users.
type Team struct {
	ID         int64 `gorm:"primaryKey"`
	OrgID      int64
	Name       string
	ManagerID  *int64
	ApproverID *int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TeamMember links a user to a team. Source is "manual" (added by an admin in
// Roster) or "personio" (assigned by the HR sync).
type TeamMember struct {
	TeamID    int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID    int64 `gorm:"primaryKey;autoIncrement:false"`
	OrgID     int64
	Source    string
	CreatedAt time.Time
}

// Invitation is a one-time link that lets an invited user set a password.
type Invitation struct {
	ID          int64 `gorm:"primaryKey"`
	OrgID       int64
	UserID      int64
	TokenHash   string
	ExpiresAt   time.Time
	CreatedByID *int64
	AcceptedAt  *time.Time
	RevokedAt   *time.Time
	CreatedAt   time.Time
}

// Session is a server-side login session; the cookie carries its random token,
// the table its SHA-256 (ID).
type Session struct {
	ID         string `gorm:"primaryKey"`
	UserID     int64
	OrgID      int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// AuditEvent records an admin action.
type AuditEvent struct {
	ID          int64 `gorm:"primaryKey"`
	OrgID       int64
	ActorID     *int64
	ActorName   string
	Action      string
	TargetType  string
	TargetID    *int64
	TargetLabel string
	Details     string
	CreatedAt   time.Time
}

// AllModels lists every row struct; the schema test checks each against both dialects.
func AllModels() []any {
	return []any{&Organization{}, &User{}, &Team{}, &TeamMember{}, &Invitation{}, &Session{}, &AuditEvent{}, &HRConnection{}, &SyncSettings{}, &JobClaim{}, &HREmployee{}, &SyncRun{}, &SyncRunWarning{}, &APICall{}, &SyncLease{}, &TeamMapping{}, &HRExclusion{}}
}
