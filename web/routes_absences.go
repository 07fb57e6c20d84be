package web

import "github.com/labstack/echo/v4"

// absenceRoutes registers the routes of absences, approvals, the team calendar and absence categories: in is
// every logged-in user, adm admins and owners.
func (s *Server) absenceRoutes(in, adm *echo.Group) {
	// A member's own requests (the use case only finds the actor's absences).
	in.GET("/absences", s.absencesList)
	in.POST("/absences", s.absenceCreate)
	in.GET("/absences/:id/edit", s.absenceEdit)
	in.POST("/absences/:id", s.absenceUpdate)
	in.POST("/absences/:id/cancel", s.absenceCancel)
	in.POST("/absences/:id/approver", s.absenceDesignate) // approver out of office: designate another
	// Managers and admins (checked in the use case: role or manager rights).
	in.GET("/absences/calendar", s.absenceCalendar)
	in.GET("/approvals", s.approvalsList)
	in.POST("/approvals/:id/approve", s.approvalApprove)
	in.POST("/approvals/:id/reject", s.approvalReject)
	in.POST("/approvals/:id/confirm", s.approvalConfirm)

	adm.GET("/settings/absence-categories", s.categoriesPage)
	adm.POST("/settings/absence-categories", s.categoryCreate)
	adm.POST("/settings/absence-categories/create-missing", s.categoriesCreateMissing)
	adm.POST("/settings/absence-categories/:id", s.categoryUpdate)
	adm.POST("/settings/absence-categories/:id/delete", s.categoryDelete)
	adm.POST("/settings/absence-categories/:id/pair", s.categoryPair)
}
