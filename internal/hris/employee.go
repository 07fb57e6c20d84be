package hris

import (
	"encoding/json"
	"time"
)

// EmployeeStatus is the employment status of an employee.
type EmployeeStatus string

// Employee statuses. Providers may report other values; they are passed on
// unchanged.
const (
	StatusOnboarding EmployeeStatus = "onboarding"
	StatusActive     EmployeeStatus = "active"
	StatusLeave      EmployeeStatus = "leave"
	StatusInactive   EmployeeStatus = "inactive"
)

// Ref names an organisational unit (department, team, office, subcompany).
// The zero Ref means "none".
type Ref struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// IsZero reports whether r refers to nothing.
func (r Ref) IsZero() bool { return r == Ref{} }

// CostCenter is one cost center of an employee with its share in percent.
type CostCenter struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	Percentage float64 `json:"percentage"`
}

// Employee is one employee as the HR system reports it.
//
// Fields the provider did not return (not readable for the credential, or
// not requested) are left at their zero value and listed in Missing; values
// the provider returned but that could not be read are left at their zero
// value and explained in Warnings. ID is 0 only for a record so broken that
// no id could be read; such a record always carries a warning.
type Employee struct {
	ID                int64          `json:"id"`
	FirstName         string         `json:"first_name"`
	LastName          string         `json:"last_name"`
	PreferredName     string         `json:"preferred_name,omitempty"`
	Email             string         `json:"email"`
	Gender            string         `json:"gender,omitempty"`
	Status            EmployeeStatus `json:"status"`
	Position          string         `json:"position,omitempty"`
	EmploymentType    string         `json:"employment_type,omitempty"` // internal or external
	Department        Ref            `json:"department"`
	Team              Ref            `json:"team"`
	Office            Ref            `json:"office"`
	Subcompany        Ref            `json:"subcompany"`
	CostCenters       []CostCenter   `json:"cost_centers,omitempty"`
	SupervisorID      *int64         `json:"supervisor_id,omitempty"`
	HireDate          Date           `json:"hire_date"`
	ContractEndDate   Date           `json:"contract_end_date"`
	ProbationEndDate  Date           `json:"probation_end_date"`
	TerminationDate   Date           `json:"termination_date"`
	LastWorkingDay    Date           `json:"last_working_day"`
	TerminationType   string         `json:"termination_type,omitempty"`
	TerminationReason string         `json:"termination_reason,omitempty"`
	WeeklyHours       float64        `json:"weekly_hours"`
	ProfilePictureURL string         `json:"profile_picture_url,omitempty"`
	CreatedAt         time.Time      `json:"created_at"`
	LastModifiedAt    time.Time      `json:"last_modified_at"`
	// Custom holds every attribute without a typed field above: custom
	// (dynamic_*) attributes and standard ones Roster does not model, by key.
	Custom map[string]AttributeValue `json:"custom,omitempty"`
	// Missing lists the keys of standard attributes that were expected but
	// absent from the record.
	Missing []string `json:"missing,omitempty"`
	// Warnings lists values that were present but could not be read.
	Warnings []FieldWarning `json:"warnings,omitempty"`
}

// Attr returns the custom attribute with the given key (e.g. "dynamic_21827")
// or, failing that, the first one whose universal id matches (e.g. "iban").
func (e *Employee) Attr(keyOrUniversalID string) (AttributeValue, bool) {
	if v, ok := e.Custom[keyOrUniversalID]; ok {
		return v, true
	}
	for _, v := range e.Custom {
		if v.UniversalID != "" && v.UniversalID == keyOrUniversalID {
			return v, true
		}
	}
	return AttributeValue{}, false
}

// Active reports whether the employee currently counts as employed
// (onboarding, active or on leave).
func (e *Employee) Active() bool {
	switch e.Status {
	case StatusOnboarding, StatusActive, StatusLeave:
		return true
	}
	return false
}

// DisplayName returns the preferred name, or first and last name.
func (e *Employee) DisplayName() string {
	if e.PreferredName != "" {
		return e.PreferredName
	}
	switch {
	case e.FirstName == "":
		return e.LastName
	case e.LastName == "":
		return e.FirstName
	}
	return e.FirstName + " " + e.LastName
}

// AttributeValue is the value of one attribute without a typed Employee field.
type AttributeValue struct {
	Label       string `json:"label,omitempty"`
	Type        string `json:"type,omitempty"` // standard, date, integer, decimal, list, link, tags, multiline
	UniversalID string `json:"universal_id,omitempty"`
	// Value is the text of a scalar value: strings unquoted, numbers and
	// booleans as written, "" for null.
	Value string `json:"value,omitempty"`
	// Raw holds the JSON of an object or array value; nil for scalars.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// FieldWarning explains why one value of a record could not be read.
type FieldWarning struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (w FieldWarning) String() string { return w.Field + ": " + w.Message }

// Attribute describes an employee attribute the credential may read.
type Attribute struct {
	Key         string   `json:"key"`
	Label       string   `json:"label"`
	Type        string   `json:"type"`
	UniversalID string   `json:"universal_id,omitempty"`
	Options     []string `json:"options,omitempty"`
}

// Picture is an employee's profile picture.
type Picture struct {
	ContentType string
	Data        []byte
}
