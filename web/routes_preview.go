package web

import "github.com/labstack/echo/v4"

// previewRoutes registers the sync previews (dry runs): admins and owners.
func (s *Server) previewRoutes(_, adm *echo.Group) {
	adm.POST("/settings/hr/previews", s.previewStart)
	adm.GET("/settings/hr/previews/:id", s.previewShow)
	adm.POST("/settings/hr/previews/:id/apply", s.previewApply)
	adm.POST("/settings/hr/previews/:id/discard", s.previewDiscard)
	adm.GET("/settings/hr/runs/:id/preview", s.runPreview)
}
