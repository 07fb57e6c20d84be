// Package views holds Roster's templ components and their view models.
// Views never import store, gorm or echo: handlers map domain values into
// these structs.
package views

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Page is what every page of the app shell needs.
type Page struct {
	Title    string
	Active   string // nav key
	CSRF     string
	Flashes  []Flash
	OrgName  string
	UserName string
	UserRole string
	IsAdmin  bool
	Dev      bool
	Unread   int64 // unread notifications of the user (the bell's badge)
	// CanApprove shows Approvals and Team calendar in the sidebar.
	CanApprove bool
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    string // success, danger, info, warning
	Message string
}

// CSRFHeaders is the hx-headers JSON carrying the CSRF token for htmx requests.
func (p Page) CSRFHeaders() string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": p.CSRF})
	return string(b)
}

// HtmxConfig lets htmx swap 422 responses (forms re-rendered with errors).
const HtmxConfig = `{"includeIndicatorStyles":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

// Errors maps form fields to messages.
type Errors map[string]string

// Pager describes a paginated list.
type Pager struct {
	Page, Pages int
	Total       int64
	Base        url.Values // current filters
	Path        string
}

// URL returns the link to page n, keeping the filters.
func (p Pager) URL(n int) string {
	v := url.Values{}
	for k, vs := range p.Base {
		v[k] = vs
	}
	v.Set("page", strconv.Itoa(n))
	return p.Path + "?" + v.Encode()
}

// Option is a select option.
type Option struct {
	Value, Label string
	Selected     bool
}

// FormatTime renders a timestamp in the organisation's zone.
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format("2 Jan 2006, 15:04")
}

// FormatDate renders a date.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2 Jan 2006")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func plural(n int64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func roleTag(role string) string {
	switch role {
	case "owner":
		return "tag is-link"
	case "admin":
		return "tag is-info"
	case "manager":
		return "tag is-primary is-light"
	}
	return "tag is-light"
}

func statusTag(status string) string {
	switch status {
	case "active":
		return "tag is-success is-light"
	case "invited":
		return "tag is-warning is-light"
	case "deactivated":
		return "tag is-danger is-light"
	}
	return "tag"
}

func autocomplete(name string) string {
	switch name {
	case "email":
		return "email"
	case "password":
		return "current-password"
	case "new_password":
		return "new-password"
	case "name", "owner_name":
		return "name"
	}
	return "off"
}

// CommonTimeZones are suggested in the time zone field (any IANA name is accepted).
var CommonTimeZones = []string{
	"Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/London", "Europe/Dublin", "Europe/Paris",
	"Europe/Madrid", "Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Stockholm", "Europe/Copenhagen",
	"Europe/Oslo", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Lisbon", "Europe/Athens",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto",
	"America/Sao_Paulo", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "UTC",
}
