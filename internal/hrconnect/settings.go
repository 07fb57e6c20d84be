package hrconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// SettingsInput is the employee part of the sync settings form.
type SettingsInput struct {
	BackgroundSync                                             bool
	FullSyncTime                                               string
	PartialIntervalHours, LookbackHours                        int
	Subcompanies, Statuses, Offices, EmploymentTypes           []string
	TeamSource, NewHires                                       string
	AccessFromHireDate, LockOnLastDay, BankImport              bool
	InviteDaysAhead, GraceDays, SafeguardPercent, SafeguardMax int
	IBANAttribute, BICAttribute, HolderAttribute               string
	// AbsencesLeading is "off", "personio" or "roster".
	AbsencesLeading                                   string
	AbsencesOnlyApproved, TimePush, TimeOnlyConfirmed bool
}

// Statuses Personio employees can have (filter options).
var Statuses = []string{"active", "onboarding", "leave", "inactive"}

var hhmm = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
var dynamicKey = regexp.MustCompile(`^dynamic_\d+$`)

// Settings returns the organisation's sync settings (defaults until saved).
func (s *Service) Settings(ctx context.Context, a roster.Actor) (*store.SyncSettings, error) {
	return s.store.SyncSettings(ctx, a.OrgID)
}

// SettingsSaved reports whether an admin has saved the settings (wizard step).
func (s *Service) SettingsSaved(ctx context.Context, a roster.Actor) (bool, error) {
	return s.store.HasSyncSettings(ctx, a.OrgID)
}

// SaveSettings validates and stores the employee sync settings.
func (s *Service) SaveSettings(ctx context.Context, a roster.Actor, in SettingsInput) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	p := roster.Problems{}
	in.FullSyncTime = strings.TrimSpace(in.FullSyncTime)
	if !hhmm.MatchString(in.FullSyncTime) {
		p.Add("full_sync_time", "Enter a time as HH:MM, like 06:30.")
	}
	if in.PartialIntervalHours < 1 || in.PartialIntervalHours > 24 {
		p.Add("partial_interval_hours", "Choose between 1 and 24 hours.")
	}
	if in.LookbackHours < 1 || in.LookbackHours > 168 {
		p.Add("lookback_hours", "Choose between 1 and 168 hours.")
	} else if in.LookbackHours < in.PartialIntervalHours {
		p.Add("lookback_hours", "Look back at least as far as the interval, or changes between runs are missed.")
	}
	for _, st := range in.Statuses {
		if !contains(Statuses, st) {
			p.Add("statuses", fmt.Sprintf("%q is not a Personio status.", st))
		}
	}
	if in.TeamSource != "team" && in.TeamSource != "department" {
		p.Add("team_source", "Choose team or department.")
	}
	if in.NewHires != "notify" && in.NewHires != "invite" {
		p.Add("new_hires", "Choose what happens with new hires.")
	}
	if in.InviteDaysAhead < 0 || in.InviteDaysAhead > 90 {
		p.Add("invite_days_ahead", "Choose between 0 and 90 days.")
	}
	if in.GraceDays < 0 || in.GraceDays > 90 {
		p.Add("grace_days", "Choose between 0 and 90 days.")
	}
	if in.SafeguardPercent < 1 || in.SafeguardPercent > 100 {
		p.Add("safeguard_percent", "Choose between 1 and 100 %.")
	}
	if in.SafeguardMax < 1 || in.SafeguardMax > 100000 {
		p.Add("safeguard_max", "Choose at least 1 person.")
	}
	for field, v := range map[string]*string{"iban_attribute": &in.IBANAttribute, "bic_attribute": &in.BICAttribute, "holder_attribute": &in.HolderAttribute} {
		*v = strings.TrimSpace(*v)
		if *v != "" && !dynamicKey.MatchString(*v) {
			p.Add(field, "Use the attribute key from Personio, like dynamic_21827.")
		} else if *v == "" && in.BankImport {
			p.Add(field, "Required when importing bank details.")
		}
	}
	if in.AbsencesLeading == "" {
		in.AbsencesLeading = "off"
	}
	if in.AbsencesLeading != "off" && in.AbsencesLeading != "personio" && in.AbsencesLeading != "roster" {
		p.Add("absences_leading", "Choose Off, Personio or Roster.")
	}
	if err := p.Err(); err != nil {
		return err
	}
	st, err := s.store.SyncSettings(ctx, a.OrgID)
	if err != nil {
		return err
	}
	st.BackgroundSync, st.FullSyncTime, st.PartialIntervalHours, st.LookbackHours = in.BackgroundSync, in.FullSyncTime, in.PartialIntervalHours, in.LookbackHours
	st.FilterSubcompanies, st.FilterStatuses, st.FilterOffices, st.FilterEmploymentTypes = jsonList(in.Subcompanies), jsonList(in.Statuses), jsonList(in.Offices), jsonList(in.EmploymentTypes)
	st.TeamSource, st.NewHires, st.AccessFromHireDate, st.InviteDaysAhead = in.TeamSource, in.NewHires, in.AccessFromHireDate, in.InviteDaysAhead
	st.LockOnLastDay, st.GraceDays, st.SafeguardPercent, st.SafeguardMax = in.LockOnLastDay, in.GraceDays, in.SafeguardPercent, in.SafeguardMax
	st.BankImport, st.IBANAttribute, st.BICAttribute, st.HolderAttribute = in.BankImport, in.IBANAttribute, in.BICAttribute, in.HolderAttribute
	st.AbsencesLeading, st.AbsencesOnlyApproved, st.TimePush, st.TimeOnlyConfirmed = in.AbsencesLeading, in.AbsencesOnlyApproved, in.TimePush, in.TimeOnlyConfirmed
	now := s.now().UTC()
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SaveSyncSettings(ctx, st); err != nil {
			return err
		}
		return audit(ctx, tx, a, "hr.settings_changed", fmt.Sprintf("background sync %v, full sync %s, partial every %dh (lookback %dh), team source %s, new hires %s, absences lead %s, time push %v",
			st.BackgroundSync, st.FullSyncTime, st.PartialIntervalHours, st.LookbackHours, st.TeamSource, st.NewHires, st.AbsencesLeading, st.TimePush), now)
	})
}

// ParseList splits a comma-separated form value into trimmed, non-empty entries.
func ParseList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// List decodes a JSON list column.
func List(raw string) []string {
	var out []string
	_ = json.Unmarshal([]byte(raw), &out)
	return out
}

func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
