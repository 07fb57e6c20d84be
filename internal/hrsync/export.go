package hrsync

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// exportRow is the exported shape of a mirrored employee.
type exportRow struct {
	PersonioID     int64   `json:"personio_id"`
	FirstName      string  `json:"first_name"`
	LastName       string  `json:"last_name"`
	Email          string  `json:"email"`
	Status         string  `json:"status"`
	Position       string  `json:"position"`
	Team           string  `json:"team"`
	Department     string  `json:"department"`
	Office         string  `json:"office"`
	Subcompany     string  `json:"subcompany"`
	CostCenters    string  `json:"cost_centers"`
	SupervisorID   int64   `json:"supervisor_id,omitempty"`
	HireDate       string  `json:"hire_date"`
	LastWorkingDay string  `json:"last_working_day"`
	WeeklyHours    float64 `json:"weekly_hours"`
	InScope        bool    `json:"in_scope"`
}

var exportHeader = []string{"personio_id", "first_name", "last_name", "email", "status", "position", "team", "department", "office",
	"subcompany", "cost_centers", "supervisor_id", "hire_date", "last_working_day", "weekly_hours", "in_scope"}

// Export streams the mirrored employees matching f as csv or json (UI and CLI).
// CSV cells that a spreadsheet would run as a formula are prefixed with '.
func (s *Service) Export(ctx context.Context, orgID int64, f EmployeeFilter, format string, w io.Writer) error {
	if format != "csv" && format != "json" {
		return fmt.Errorf("unknown export format %q: use csv or json", format)
	}
	var cw *csv.Writer
	first := true
	if format == "csv" {
		cw = csv.NewWriter(w)
		if err := cw.Write(exportHeader); err != nil {
			return err
		}
	} else if _, err := io.WriteString(w, "[\n"); err != nil {
		return err
	}
	err := s.EachEmployee(ctx, orgID, f, func(e *store.HREmployee) error {
		r := exportRow{PersonioID: e.PersonioID, FirstName: e.FirstName, LastName: e.LastName, Email: e.Email, Status: e.Status,
			Position: e.Position, Team: e.TeamName, Department: e.DepartmentName, Office: e.OfficeName, Subcompany: e.SubcompanyName,
			CostCenters: strings.Trim(strings.ReplaceAll(e.CostCenterNames, "|", "; "), "; "), HireDate: e.HireDate,
			LastWorkingDay: e.LastWorkingDay, WeeklyHours: e.WeeklyHours, InScope: e.InScope}
		if e.SupervisorID != nil {
			r.SupervisorID = *e.SupervisorID
		}
		if cw != nil {
			sup := ""
			if r.SupervisorID != 0 {
				sup = strconv.FormatInt(r.SupervisorID, 10)
			}
			rec := []string{strconv.FormatInt(r.PersonioID, 10), r.FirstName, r.LastName, r.Email, r.Status, r.Position, r.Team, r.Department,
				r.Office, r.Subcompany, r.CostCenters, sup, r.HireDate, r.LastWorkingDay, strconv.FormatFloat(r.WeeklyHours, 'f', -1, 64), strconv.FormatBool(r.InScope)}
			for i := range rec {
				rec[i] = roster.CSVSafe(rec[i])
			}
			return cw.Write(rec)
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		sep := ",\n"
		if first {
			sep, first = "", false
		}
		_, err = io.WriteString(w, sep+"  "+string(b))
		return err
	})
	if err != nil {
		return err
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	_, err = io.WriteString(w, "\n]\n")
	return err
}
