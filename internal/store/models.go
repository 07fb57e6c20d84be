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
	ID           int64 `gorm:"primaryKey"`
	OrgID        int64
	Email        string
	Name         string
	PasswordHash string
	Role         string
	// RoleSource is "personio" when the HR sync gave the role (a member who
	// supervises others became a manager), "" when it was set in Roster.
	RoleSource    string
	Status        string
	JobTitle      string
	PersonioID    *int64 // the linked Personio employee, if any
	LastLoginAt   *time.Time
	DeactivatedAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time

	// Fields the HR sync manages on a linked user ("from Personio").
	// Dates are "YYYY-MM-DD" ("" for none).
	ManagerID        *int64 // the user's manager (from the Personio supervisor, or set in Roster)
	ManagerSource    string // "personio" when the sync set ManagerID, "" otherwise
	HireDate         string
	LastWorkingDay   string
	TerminationDate  string
	CostCenter       string
	PictureURL       string
	PersonioSyncedAt *time.Time // last time the sync changed the user
	// AccessFrom is the first day ("YYYY-MM-DD", organisation's time zone)
	// the user may log in ("" for no limit): "access from hire date".
	AccessFrom string
	// DeactivateAt is when a scheduled deactivation (a leaver) takes effect.
	DeactivateAt *time.Time
	// DeactivationReason says why the user is (or will be) deactivated:
	// admin, personio_leaver, personio_inactive, personio_removed.
	DeactivationReason string
	// LockedAt is set when the user is locked (cannot log in, kept active):
	// "lock on last working day".
	LockedAt *time.Time
	// DeactivationSkipHash is the employee's record hash when an admin
	// discarded a safeguard hold: the sync does not deactivate the user
	// again until the record changes.
	DeactivationSkipHash string
}

// Locked reports a user locked out (lock on last working day).
func (u *User) Locked() bool { return u.LockedAt != nil }

// FromPersonio reports a user linked to a Personio employee: the fields the
// sync manages are read-only in Roster.
func (u *User) FromPersonio() bool { return u.PersonioID != nil }

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
	return []any{&Organization{}, &User{}, &Team{}, &TeamMember{}, &Invitation{}, &Session{}, &AuditEvent{}, &HRConnection{}, &SyncSettings{}, &JobClaim{}, &HREmployee{}, &SyncRun{}, &SyncRunWarning{}, &APICall{}, &SyncLease{}, &TeamMapping{}, &HRExclusion{}, &Notification{}, &UserDeactivation{}, &SyncHold{}, &HRNewHire{}, &UserPicture{}, &BankDetail{}, &AbsenceCategory{}, &Absence{}, &TimeEntry{}, &OutboxItem{}, &HealthProblem{}, &LineageEntry{}, &SyncPreview{}, &SyncPreviewItem{}, &SyncPreviewRecord{}}
}

// Notification is one in-app notification of a user (the bell).
// DedupeKey, when set, makes a notification unique per user.
type Notification struct {
	ID        int64 `gorm:"primaryKey"`
	OrgID     int64
	UserID    int64
	Kind      string
	Title     string
	Body      string
	Link      string
	DedupeKey string
	CreatedAt time.Time
	ReadAt    *time.Time
}

// UserDeactivation records one deactivation with what it removed (Snapshot,
// JSON), so an admin can undo it.
type UserDeactivation struct {
	ID            int64 `gorm:"primaryKey"`
	OrgID         int64
	UserID        int64
	Reason        string
	RunID         *int64
	Snapshot      string
	DeactivatedAt time.Time
	UndoneAt      *time.Time
	UndoneByID    *int64
}

// Safeguard hold statuses.
const (
	HoldPending   = "pending"
	HoldConfirmed = "confirmed"
	HoldDiscarded = "discarded"
)

// SyncHold is a safeguard pause: a run would have deactivated more users
// than the threshold, so nothing destructive was applied until an admin
// confirms or discards. UserIDs is a JSON list.
type SyncHold struct {
	ID          int64 `gorm:"primaryKey"`
	OrgID       int64
	RunID       *int64
	Status      string
	UserIDs     string `gorm:"column:user_ids"`
	Affected    int
	LinkedTotal int
	CreatedAt   time.Time
	DecidedAt   *time.Time
	DecidedByID *int64
}

// HRNewHire is a Personio employee the sync saw appear after the first
// import: admins are notified once; with auto-invite the invitation goes
// out on InviteDue ("YYYY-MM-DD", "" for at once).
type HRNewHire struct {
	OrgID      int64 `gorm:"primaryKey;autoIncrement:false"`
	PersonioID int64 `gorm:"primaryKey;autoIncrement:false"`
	RunID      *int64
	DetectedAt time.Time
	HireDate   string
	InviteDue  string
	NotifiedAt *time.Time
	InvitedAt  *time.Time
	UserID     *int64
}

// UserPicture is a user's profile picture cached from the HR system.
// Data is nil (and ContentType "") when the HR system has none; FetchedAt
// says when it was last asked, so a picture is fetched at most once a day.
type UserPicture struct {
	OrgID       int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID      int64 `gorm:"primaryKey;autoIncrement:false"`
	ContentType string
	Data        []byte
	FetchedAt   time.Time
}

// BankDetail is a user's reimbursement details imported from Personio.
// DataEnc holds IBAN, BIC and account holder sealed together with
// secrets.Box (JSON, associated data bound to org and user); only
// IBANMasked (e.g. "DE89 •••• •••• 3000") is stored in clear. Warning
// explains an invalid value (IBANValid, BICValid false).
type BankDetail struct {
	OrgID      int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID     int64 `gorm:"primaryKey;autoIncrement:false"`
	PersonioID *int64
	DataEnc    string
	IBANMasked string `gorm:"column:iban_masked"`
	IBANValid  bool   `gorm:"column:iban_valid"`
	BICValid   bool   `gorm:"column:bic_valid"`
	HasHolder  bool
	Warning    string
	Source     string
	RunID      *int64
	UpdatedAt  time.Time
}

// Absence statuses (Absence.Status).
const (
	AbsencePending   = "pending"
	AbsenceApproved  = "approved"
	AbsenceRejected  = "rejected"
	AbsenceCancelled = "cancelled"
	// AbsenceToConfirm is a time-off imported from Personio (Personio
	// leads) that a manager has not confirmed yet.
	AbsenceToConfirm = "to_confirm"
	AbsenceConfirmed = "confirmed"
)

// Absence sources (Absence.Source).
const (
	SourceRoster = "roster"
	// SourcePersonio ("personio") is shared with the manager and role
	// sources.
)

// AbsenceCategory is a Roster absence category, paired with a Personio
// time-off type by name once and by PersonioTypeID afterwards.
type AbsenceCategory struct {
	ID               int64 `gorm:"primaryKey"`
	OrgID            int64
	Name             string
	PersonioTypeID   *int64
	PersonioTypeName string
	HalfDays         bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Absence is an absence requested in Roster or imported from Personio.
// StartDate and EndDate are YYYY-MM-DD, inclusive.
type Absence struct {
	ID           int64 `gorm:"primaryKey"`
	OrgID        int64
	UserID       int64
	CategoryID   *int64
	StartDate    string
	EndDate      string
	HalfDayStart bool
	HalfDayEnd   bool
	Comment      string
	Status       string
	Source       string
	ApproverID   *int64
	DecidedByID  *int64
	DecidedAt    *time.Time
	DecisionNote string
	PersonioID   *int64
	// PersonioHash is the hash of the Personio time-off last imported or
	// pushed, so an unchanged one is not written again.
	PersonioHash string
	// OutOfSync says why a change is not synced (made in the system that
	// does not lead); "" when in sync.
	OutOfSync string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Time entry statuses (TimeEntry.Status).
const (
	TimeRunning   = "running"
	TimeCompleted = "completed"
	TimeConfirmed = "confirmed"
	TimeRejected  = "rejected"
)

// TimeEntry is tracked working time; a running timer has no EndAt.
type TimeEntry struct {
	ID           int64 `gorm:"primaryKey"`
	OrgID        int64
	UserID       int64
	Day          string // YYYY-MM-DD in the organisation's time zone
	StartAt      time.Time
	EndAt        *time.Time
	BreakMinutes int
	Comment      string
	Project      string
	Status       string
	DecidedByID  *int64
	DecidedAt    *time.Time
	PersonioID   string // the v2 attendance period, once created
	DeletedAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Outbox kinds, operations and states (OutboxItem).
const (
	OutboxAbsence   = "absence"
	OutboxTimeEntry = "time_entry"

	OutboxCreate = "create"
	OutboxUpdate = "update"
	OutboxDelete = "delete"

	OutboxPending  = "pending"
	OutboxPushed   = "pushed"
	OutboxRetrying = "retrying"
	OutboxFailed   = "failed"
)

// OutboxItem is one push to Personio: what (Kind, RecordID, Op), the
// Personio id once known, attempts and the retry schedule, the state.
type OutboxItem struct {
	ID            int64 `gorm:"primaryKey"`
	OrgID         int64
	Kind          string
	RecordID      int64
	Op            string
	PersonioID    string
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	FirstChangeAt time.Time
	PushedAt      *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}
