package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/views"
)

// Handlers of reimbursement details. Wired in routes.go; built in this file.

// bankExportPage lets an admin choose whose reimbursement details to export.
func (s *Server) bankExportPage(c echo.Context) error {
	v, err := s.bankExportView(c, nil, "")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.BankExportPage(v), nil)
}

func (s *Server) bankExportView(c echo.Context, selected []int64, errMsg string) (views.BankExport, error) {
	ctx, a, loc := c.Request().Context(), actor(c), location(c)
	rows, err := s.Bank.List(ctx, a)
	if err != nil {
		return views.BankExport{}, err
	}
	st, err := s.HR.Settings(ctx, a)
	if err != nil {
		return views.BankExport{}, err
	}
	v := views.BankExport{Page: s.page(c, "Export reimbursement details", "users"), Selected: map[int64]bool{}, Error: errMsg, Enabled: st.BankImport}
	for _, id := range selected {
		v.Selected[id] = true
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, views.BankExportRow{UserID: r.UserID, Name: r.Name, Email: r.Email, Status: r.Status, IBAN: r.IBANMasked,
			Warning: r.Warning, UpdatedAt: views.FormatTime(r.UpdatedAt, loc)})
	}
	return v, nil
}

// bankExport sends the reimbursement details of the users in user_ids (or
// of every user with details when scope=all) as CSV; the export is audited.
func (s *Server) bankExport(c echo.Context) error {
	var ids []int64
	if c.FormValue("scope") != "all" {
		ids = formIDs(c, "user_ids")
		if ids == nil {
			ids = []int64{}
		}
	}
	ex, err := s.Bank.PrepareExport(c.Request().Context(), actor(c), ids)
	if fe := roster.FieldErrors(err); fe != nil {
		v, verr := s.bankExportView(c, ids, strings.Join(mapValues(fe), " "))
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, views.BankExportPage(v), nil)
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="reimbursement-details-%s.csv"`, s.Now().Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	return ex.Write(c.Response())
}

// bankDetailsFor returns the user's reimbursement details for display to
// the current actor (the user themself or an admin), or nil when there are
// none or the actor may not see them. The profile page calls it.
func (s *Server) bankDetailsFor(c echo.Context, userID int64) (*views.BankDetails, error) {
	if s.Bank == nil {
		return nil, nil
	}
	d, err := s.Bank.ForUser(c.Request().Context(), actor(c), userID)
	if err != nil || d == nil {
		return nil, err
	}
	source := d.Source
	if source == "personio" {
		source = "Personio"
	}
	return &views.BankDetails{IBANMasked: d.IBANMasked, BIC: d.BIC, Holder: d.Holder, Source: source,
		UpdatedAt: views.FormatDate(d.UpdatedAt.In(location(c))), Warning: d.Warning}, nil
}
