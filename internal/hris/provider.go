// Package hris is the provider-neutral vocabulary of HR systems: employees,
// absences, tracked time, the errors an HR system reports and the Provider
// interface that the Personio client implements. It contains no wire types
// of any provider.
package hris

import (
	"context"
	"time"
)

// EmployeeQuery selects employees.
type EmployeeQuery struct {
	// UpdatedSince, when set, returns only employees changed since then.
	// Providers may return some employees changed shortly before (overlap).
	UpdatedSince *time.Time
	// Email, when set, returns only the employee with this address. Providers
	// may ignore it together with UpdatedSince.
	Email string
	// Attributes, when set, limits the returned attributes to these keys.
	Attributes []string
	// PageSize is the number of employees per page; 0 means the provider's
	// maximum.
	PageSize int
}

// TimeOffQuery selects time-offs. Zero fields do not filter.
type TimeOffQuery struct {
	// Start and End select time-offs overlapping [Start, End] (inclusive).
	Start, End Date
	// UpdatedFrom and UpdatedTo select time-offs changed on these days
	// (inclusive).
	UpdatedFrom, UpdatedTo Date
	EmployeeIDs            []int64
	PageSize               int
}

// AttendanceQuery selects attendance periods. Zero fields do not filter.
type AttendanceQuery struct {
	IDs       []string
	PersonIDs []int64
	// StartFrom and StartTo bound the start of the periods (inclusive).
	StartFrom, StartTo time.Time
	// UpdatedSince returns periods changed at or after this instant.
	UpdatedSince time.Time
	Status       AttendanceStatus
	ProjectID    string
	PageSize     int
}

// EmployeeReader reads employees and their attributes.
type EmployeeReader interface {
	// ListEmployees calls fn once per page of employees, in order. It stops
	// and returns fn's error if fn fails. Pages are not retained.
	ListEmployees(ctx context.Context, q EmployeeQuery, fn func(page []Employee) error) error
	GetEmployee(ctx context.Context, id int64) (Employee, error)
	// ReadableAttributes lists the employee attributes the credential may read.
	ReadableAttributes(ctx context.Context) ([]Attribute, error)
	// ProfilePicture returns the picture scaled to width pixels; ErrNotFound
	// when the employee has none or it is not readable.
	ProfilePicture(ctx context.Context, employeeID int64, width int) (Picture, error)
}

// TimeOffProvider reads and writes day-based absences.
type TimeOffProvider interface {
	ListTimeOffTypes(ctx context.Context) ([]TimeOffType, error)
	ListTimeOffs(ctx context.Context, q TimeOffQuery, fn func(page []TimeOff) error) error
	CreateTimeOff(ctx context.Context, t NewTimeOff) (TimeOff, error)
	DeleteTimeOff(ctx context.Context, id int64) error
}

// AttendanceProvider reads and writes tracked working time.
type AttendanceProvider interface {
	ListAttendancePeriods(ctx context.Context, q AttendanceQuery, fn func(page []AttendancePeriod) error) error
	// CreateAttendancePeriod returns the id of the new period.
	CreateAttendancePeriod(ctx context.Context, p NewAttendancePeriod) (string, error)
	// UpdateAttendancePeriod writes the full state p over the period.
	UpdateAttendancePeriod(ctx context.Context, id string, p NewAttendancePeriod) error
	DeleteAttendancePeriod(ctx context.Context, id string) error
}

// Provider is an HR system.
type Provider interface {
	// Check authenticates with the configured credentials.
	Check(ctx context.Context) error
	EmployeeReader
	TimeOffProvider
	AttendanceProvider
}

// CallInfo describes one HTTP request to the HR system, for the API log. It
// never contains credentials or tokens.
type CallInfo struct {
	Area   string // from WithArea; "" when unset
	Op     string // e.g. "list employees"
	Method string
	// Path is the request path; Query its query string with personal data
	// and secrets redacted.
	Path     string
	Query    string
	Status   int // 0 when no response arrived
	Start    time.Time
	Duration time.Duration
	Bytes    int64 // response body bytes read
	// Retries is the number of earlier attempts of the same operation.
	Retries int
	// Err is a short description of the failure, "" on success.
	Err string
}

type areaKey struct{}

// WithArea returns a context whose calls are reported with the given area
// (e.g. "employees", "absences", "timetracking") in CallInfo.
func WithArea(ctx context.Context, area string) context.Context {
	return context.WithValue(ctx, areaKey{}, area)
}

// AreaFrom returns the area set by WithArea, or "".
func AreaFrom(ctx context.Context) string {
	s, _ := ctx.Value(areaKey{}).(string)
	return s
}
