package hris

import "time"

// TimeOffType is an absence type (e.g. "Paid vacation").
type TimeOffType struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category,omitempty"` // e.g. paid_vacation, sick_leave
	Unit     string `json:"unit,omitempty"`     // day or hour
	// ApprovalRequired, HalfDaysAllowed and CertificateRequired are false
	// when the provider does not report them.
	ApprovalRequired    bool `json:"approval_required"`
	HalfDaysAllowed     bool `json:"half_days_allowed"`
	CertificateRequired bool `json:"certificate_required"`
}

// TimeOffStatus is the approval state of a time-off.
type TimeOffStatus string

// Time-off statuses.
const (
	TimeOffApproved TimeOffStatus = "approved"
	TimeOffPending  TimeOffStatus = "pending"
	TimeOffRejected TimeOffStatus = "rejected"
	TimeOffCanceled TimeOffStatus = "canceled"
)

// TimeOff is one day-based absence of an employee.
type TimeOff struct {
	ID           int64         `json:"id"`
	EmployeeID   int64         `json:"employee_id"`
	TypeID       int64         `json:"type_id"`
	TypeName     string        `json:"type_name"`
	TypeCategory string        `json:"type_category,omitempty"`
	Status       TimeOffStatus `json:"status"`
	Start        Date          `json:"start"`
	End          Date          `json:"end"`
	HalfDayStart bool          `json:"half_day_start"`
	HalfDayEnd   bool          `json:"half_day_end"`
	DaysCount    float64       `json:"days_count"`
	Comment      string        `json:"comment,omitempty"`
	// CreatedBy is "API" for time-offs created through the API, else the
	// name of the person who created it.
	CreatedBy         string         `json:"created_by,omitempty"`
	CertificateStatus string         `json:"certificate_status,omitempty"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
	Warnings          []FieldWarning `json:"warnings,omitempty"`
}

// NewTimeOff is a time-off to create.
type NewTimeOff struct {
	EmployeeID   int64
	TypeID       int64
	Start, End   Date
	HalfDayStart bool
	HalfDayEnd   bool
	Comment      string
	// SkipApproval creates the time-off approved even if its type requires
	// approval; false starts the approval flow of the HR system.
	SkipApproval bool
}

// AttendanceType distinguishes working time from breaks.
type AttendanceType string

// Attendance period types.
const (
	AttendanceWork  AttendanceType = "WORK"
	AttendanceBreak AttendanceType = "BREAK"
)

// AttendanceStatus is the approval state of an attendance period.
type AttendanceStatus string

// Attendance statuses.
const (
	AttendancePending   AttendanceStatus = "PENDING"
	AttendanceConfirmed AttendanceStatus = "CONFIRMED"
	AttendanceRejected  AttendanceStatus = "REJECTED"
)

// AttendancePeriod is one period of tracked time (work or break).
type AttendancePeriod struct {
	ID       string         `json:"id"`
	PersonID int64          `json:"person_id"`
	Type     AttendanceType `json:"type"`
	Start    time.Time      `json:"start"`
	// End is nil for a period that is still running.
	End             *time.Time       `json:"end,omitempty"`
	AttributionDate Date             `json:"attribution_date"`
	Status          AttendanceStatus `json:"status,omitempty"`
	Comment         string           `json:"comment,omitempty"`
	ProjectID       string           `json:"project_id,omitempty"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	Warnings        []FieldWarning   `json:"warnings,omitempty"`
}

// NewAttendancePeriod is the full state of an attendance period to create or
// to write over an existing one.
type NewAttendancePeriod struct {
	PersonID  int64
	Type      AttendanceType // defaults to AttendanceWork
	Start     time.Time
	End       *time.Time // nil: still running
	Comment   string
	ProjectID string
	// SkipApproval creates the period confirmed; false leaves it pending
	// until a manager confirms it in the HR system.
	SkipApproval bool
}
