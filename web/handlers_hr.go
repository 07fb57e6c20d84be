package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

var wizardSteps = []views.WizardStep{{Key: "provider", Label: "Provider"}, {Key: "credentials", Label: "Credentials"}, {Key: "check", Label: "Check"}, {Key: "settings", Label: "Settings"}, {Key: "done", Label: "Done"}}

// wizardState decides which steps are complete: the connection row is the
// server-side state of the wizard.
func (s *Server) wizard(c echo.Context, current string) (views.Wizard, *store.HRConnection, error) {
	ctx, a := c.Request().Context(), actor(c)
	conn, err := s.HR.Connection(ctx, a)
	if errors.Is(err, roster.ErrNotFound) {
		conn, err = nil, nil
	}
	if err != nil {
		return views.Wizard{}, nil, err
	}
	saved, err := s.HR.SettingsSaved(ctx, a)
	if err != nil {
		return views.Wizard{}, nil, err
	}
	connected := conn != nil && conn.Status == store.ConnConnected
	done := map[string]bool{"provider": connected || current != "provider", "credentials": connected, "check": connected && saved, "settings": connected && saved, "done": false}
	w := views.Wizard{Page: s.page(c, "Connect HR software", "hr"), Current: current}
	for _, st := range wizardSteps {
		st.Done = done[st.Key]
		w.Steps = append(w.Steps, st)
	}
	return w, conn, nil
}

func (s *Server) hrConnectStart(c echo.Context) error {
	_, conn, err := s.wizard(c, "provider")
	if err != nil {
		return err
	}
	if conn != nil && conn.Status == store.ConnConnected {
		saved, err := s.HR.SettingsSaved(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		if !saved {
			return redirect(c, "/settings/hr/connect/check")
		}
		return redirect(c, "/settings/hr")
	}
	return redirect(c, "/settings/hr/connect/provider")
}

func attributesView(readable []string) ([]views.HRAttribute, int) {
	res := hrconnect.Evaluate(readable)
	out := make([]views.HRAttribute, 0, len(res.Attributes))
	for _, a := range res.Attributes {
		out = append(out, views.HRAttribute{Key: a.Key, Label: a.Label, Feature: a.Feature, Readable: a.Readable, Required: a.Required})
	}
	return out, res.Missing
}

func (s *Server) hrConnectStep(c echo.Context) error {
	step := c.Param("step")
	w, conn, err := s.wizard(c, step)
	if err != nil {
		return err
	}
	connected := conn != nil && conn.Status == store.ConnConnected
	switch step {
	case "provider":
		opts := make([]views.Option, 0, len(hrconnect.Providers))
		for i, p := range hrconnect.Providers {
			opts = append(opts, views.Option{Value: p.Key, Label: p.Name, Selected: i == 0})
		}
		return render(c, http.StatusOK, views.ProviderStepPage(views.ProviderStep{Wizard: w, Providers: opts}), nil)
	case "credentials":
		v := views.CredentialsStep{Wizard: w, BaseURL: hrconnect.Providers[0].DefaultBaseURL, SandboxAvailable: s.Dev && s.HR.SandboxURL != ""}
		if conn != nil {
			v.BaseURL, v.ClientID, v.PartnerID, v.AppID = conn.BaseURL, conn.ClientID, conn.PartnerID, conn.AppID
			if connected {
				v.SecretMasked = conn.SecretLast4
			}
		}
		if c.QueryParam("sandbox") == "1" && v.SandboxAvailable {
			v.BaseURL, v.ClientID, v.ClientSecret, v.SecretMasked = s.HR.SandboxURL, sandbox.FullClientID, sandbox.FullClientSecret, ""
		}
		return render(c, http.StatusOK, views.CredentialsStepPage(v), nil)
	case "check":
		if !connected {
			return redirect(c, "/settings/hr/connect/credentials")
		}
		attrs, missing := attributesView(hrconnect.List(conn.ReadableAttributes))
		return render(c, http.StatusOK, views.CheckStepPage(views.CheckStep{Wizard: w, Attributes: attrs, Missing: missing}), nil)
	case "settings":
		if !connected {
			return redirect(c, "/settings/hr/connect/credentials")
		}
		f, err := s.settingsForm(c, nil, nil)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.SettingsStepPage(views.SettingsStep{Wizard: w, Form: f}), nil)
	case "done":
		if !connected {
			return redirect(c, "/settings/hr/connect/credentials")
		}
		return render(c, http.StatusOK, views.DoneStepPage(views.DoneStep{Wizard: w}), nil)
	}
	return roster.ErrNotFound
}

func (s *Server) hrConnectSubmit(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	switch c.Param("step") {
	case "provider":
		if c.FormValue("provider") != hrconnect.ProviderPersonio {
			return redirect(c, "/settings/hr/connect/provider")
		}
		return redirect(c, "/settings/hr/connect/credentials")
	case "credentials":
		in := hrconnect.Credentials{Provider: hrconnect.ProviderPersonio, BaseURL: c.FormValue("base_url"), ClientID: c.FormValue("client_id"),
			ClientSecret: c.FormValue("client_secret"), PartnerID: c.FormValue("partner_id"), AppID: c.FormValue("app_id")}
		_, err := s.HR.Connect(ctx, a, in)
		if fe := roster.FieldErrors(err); fe != nil {
			w, conn, werr := s.wizard(c, "credentials")
			if werr != nil {
				return werr
			}
			v := views.CredentialsStep{Wizard: w, BaseURL: in.BaseURL, ClientID: in.ClientID, PartnerID: in.PartnerID, AppID: in.AppID,
				Errors: fe, SandboxAvailable: s.Dev && s.HR.SandboxURL != ""}
			if conn != nil && conn.Status == store.ConnConnected {
				v.SecretMasked = conn.SecretLast4
			}
			return render(c, http.StatusUnprocessableEntity, views.CredentialsStepPage(v), nil)
		}
		if err != nil {
			return err
		}
		return redirect(c, "/settings/hr/connect/check")
	case "settings":
		in := settingsInput(c)
		if err := s.HR.SaveSettings(ctx, a, in); err != nil {
			fe := roster.FieldErrors(err)
			if fe == nil {
				return err
			}
			w, _, werr := s.wizard(c, "settings")
			if werr != nil {
				return werr
			}
			f, ferr := s.settingsForm(c, &in, fe)
			if ferr != nil {
				return ferr
			}
			return render(c, http.StatusUnprocessableEntity, views.SettingsStepPage(views.SettingsStep{Wizard: w, Form: f}), nil)
		}
		s.replan(c)
		return redirect(c, "/settings/hr/connect/done")
	}
	return roster.ErrNotFound
}

func (s *Server) hrDisconnect(c echo.Context) error {
	if err := s.HR.Disconnect(c.Request().Context(), actor(c)); err != nil {
		return err
	}
	s.replan(c)
	s.flash(c, "success", "Personio disconnected. Schedules stopped; every user and record is kept.")
	return redirect(c, "/settings/hr")
}

func settingsInput(c echo.Context) hrconnect.SettingsInput {
	num := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(c.FormValue(name)))
		if err != nil {
			return -1
		}
		return n
	}
	_ = c.Request().ParseForm()
	return hrconnect.SettingsInput{
		BackgroundSync: c.FormValue("background_sync") == "on", FullSyncTime: c.FormValue("full_sync_time"),
		PartialIntervalHours: num("partial_interval_hours"), LookbackHours: num("lookback_hours"),
		Subcompanies: hrconnect.ParseList(c.FormValue("subcompanies")), Offices: hrconnect.ParseList(c.FormValue("offices")),
		EmploymentTypes: hrconnect.ParseList(c.FormValue("employment_types")), Statuses: c.Request().Form["statuses"],
		TeamSource: c.FormValue("team_source"), NewHires: c.FormValue("new_hires"),
		AccessFromHireDate: c.FormValue("access_from_hire_date") == "on", InviteDaysAhead: num("invite_days_ahead"),
		LockOnLastDay: c.FormValue("lock_on_last_day") == "on", GraceDays: num("grace_days"),
		SafeguardPercent: num("safeguard_percent"), SafeguardMax: num("safeguard_max"),
		BankImport: c.FormValue("bank_import") == "on", IBANAttribute: c.FormValue("iban_attribute"),
		BICAttribute: c.FormValue("bic_attribute"), HolderAttribute: c.FormValue("holder_attribute"),
		AbsencesLeading: c.FormValue("absences_leading"), AbsencesOnlyApproved: c.FormValue("absences_only_approved") == "on",
		TimePush: c.FormValue("time_push") == "on", TimeOnlyConfirmed: c.FormValue("time_only_confirmed") == "on",
	}
}

// settingsForm builds the form from the stored settings, or from a rejected input.
func (s *Server) settingsForm(c echo.Context, in *hrconnect.SettingsInput, errs views.Errors) (views.SyncSettingsForm, error) {
	if in == nil {
		st, err := s.HR.Settings(c.Request().Context(), actor(c))
		if err != nil {
			return views.SyncSettingsForm{}, err
		}
		in = &hrconnect.SettingsInput{BackgroundSync: st.BackgroundSync, FullSyncTime: st.FullSyncTime, PartialIntervalHours: st.PartialIntervalHours,
			LookbackHours: st.LookbackHours, Subcompanies: hrconnect.List(st.FilterSubcompanies), Statuses: hrconnect.List(st.FilterStatuses),
			Offices: hrconnect.List(st.FilterOffices), EmploymentTypes: hrconnect.List(st.FilterEmploymentTypes), TeamSource: st.TeamSource,
			NewHires: st.NewHires, AccessFromHireDate: st.AccessFromHireDate, InviteDaysAhead: st.InviteDaysAhead, LockOnLastDay: st.LockOnLastDay,
			GraceDays: st.GraceDays, SafeguardPercent: st.SafeguardPercent, SafeguardMax: st.SafeguardMax, BankImport: st.BankImport,
			IBANAttribute: st.IBANAttribute, BICAttribute: st.BICAttribute, HolderAttribute: st.HolderAttribute,
			AbsencesLeading: st.AbsencesLeading, AbsencesOnlyApproved: st.AbsencesOnlyApproved, TimePush: st.TimePush, TimeOnlyConfirmed: st.TimeOnlyConfirmed}
	}
	numStr := func(n int) string {
		if n < 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	f := views.SyncSettingsForm{BackgroundSync: in.BackgroundSync, FullSyncTime: in.FullSyncTime, TimeZone: location(c).String(),
		PartialIntervalHours: numStr(in.PartialIntervalHours), LookbackHours: numStr(in.LookbackHours),
		Subcompanies: strings.Join(in.Subcompanies, ", "), Offices: strings.Join(in.Offices, ", "), EmploymentTypes: strings.Join(in.EmploymentTypes, ", "),
		TeamSource: in.TeamSource, NewHires: in.NewHires, AccessFromHireDate: in.AccessFromHireDate, LockOnLastDay: in.LockOnLastDay,
		BankImport: in.BankImport, InviteDaysAhead: numStr(in.InviteDaysAhead), GraceDays: numStr(in.GraceDays),
		SafeguardPercent: numStr(in.SafeguardPercent), SafeguardMax: numStr(in.SafeguardMax),
		IBANAttribute: in.IBANAttribute, BICAttribute: in.BICAttribute, HolderAttribute: in.HolderAttribute,
		AbsencesLeading: in.AbsencesLeading, AbsencesOnlyApproved: in.AbsencesOnlyApproved, TimePush: in.TimePush, TimeOnlyConfirmed: in.TimeOnlyConfirmed, Errors: errs}
	for _, st := range hrconnect.Statuses {
		f.Statuses = append(f.Statuses, views.Option{Value: st, Label: st, Selected: contains(in.Statuses, st)})
	}
	return f, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) hrSettings(c echo.Context) error {
	f, err := s.settingsForm(c, nil, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.SyncSettingsView(views.SyncSettingsPage{Page: s.page(c, "Sync settings", "hr"), Form: f}), nil)
}

func (s *Server) hrSettingsSave(c echo.Context) error {
	in := settingsInput(c)
	if err := s.HR.SaveSettings(c.Request().Context(), actor(c), in); err != nil {
		fe := roster.FieldErrors(err)
		if fe == nil {
			return err
		}
		f, ferr := s.settingsForm(c, &in, fe)
		if ferr != nil {
			return ferr
		}
		return render(c, http.StatusUnprocessableEntity, views.SyncSettingsView(views.SyncSettingsPage{Page: s.page(c, "Sync settings", "hr"), Form: f}), nil)
	}
	s.replan(c)
	s.flash(c, "success", "Sync settings saved.")
	return redirect(c, "/settings/hr/sync")
}

func (s *Server) hrTab(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	v := views.HRTab{Page: s.page(c, "HR software", "hr")}
	if s.Lifecycle != nil {
		hold, err := s.holdBox(c)
		if err != nil {
			return err
		}
		v.Hold = hold
	}
	problems, err := s.healthProblemRows(c)
	if err != nil {
		return err
	}
	v.Problems = problems
	conn, err := s.HR.Connection(ctx, a)
	if err != nil && !errors.Is(err, roster.ErrNotFound) {
		return err
	}
	if err == nil {
		loc := location(c)
		hc := &views.HRConnection{Connected: conn.Status == store.ConnConnected, Provider: conn.Provider, BaseURL: conn.BaseURL, ClientID: conn.ClientID,
			SecretMasked: conn.SecretLast4, PartnerID: conn.PartnerID, AppID: conn.AppID}
		if conn.ConnectedAt != nil {
			hc.ConnectedAt = views.FormatTime(*conn.ConnectedAt, loc)
		}
		if conn.DisconnectedAt != nil {
			hc.DisconnectedAt = views.FormatTime(*conn.DisconnectedAt, loc)
		}
		if conn.ConnectedByID != nil {
			if us, err := s.Accounts.UsersByIDs(ctx, a, []int64{*conn.ConnectedByID}); err == nil {
				hc.ConnectedBy = us[*conn.ConnectedByID].Name
			}
		}
		hc.Attributes, hc.Missing = attributesView(hrconnect.List(conn.ReadableAttributes))
		v.Conn = hc
		st, err := s.HR.Settings(ctx, a)
		if err != nil {
			return err
		}
		bg := "off"
		if st.BackgroundSync {
			bg = fmt.Sprintf("on: full sync daily at %s, partial every %d h (last %d h)", st.FullSyncTime, st.PartialIntervalHours, st.LookbackHours)
		}
		v.SettingsSum = []string{"Background sync " + bg, "Teams from Personio " + st.TeamSource, "New hires: " + map[string]string{"notify": "notify admins", "invite": "invite automatically"}[st.NewHires]}
		if hc.Connected && s.Sync != nil {
			if v.Sync, err = s.syncPanel(c); err != nil {
				return err
			}
		}
	}
	return render(c, http.StatusOK, views.HRTabPage(v), nil)
}

// replan tells the scheduler of this process about a changed connection or
// settings (other processes pick it up within a minute).
func (s *Server) replan(c echo.Context) {
	if s.Schedule == nil {
		return
	}
	if err := s.Schedule.Replan(c.Request().Context(), actor(c).OrgID); err != nil {
		s.Logger.ErrorContext(c.Request().Context(), "replan schedules", "org_id", actor(c).OrgID, "err", err)
	}
}
