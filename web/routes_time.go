package web

import "github.com/labstack/echo/v4"

// timeRoutes registers the routes of time tracking and the push outbox: in is
// every logged-in user, adm admins and owners.
func (s *Server) timeRoutes(in, adm *echo.Group) {
	if s.Time == nil {
		return
	}
	in.GET("/time", s.timePage)
	in.POST("/time/entries", s.timeAdd)
	in.POST("/time/timer/start", s.timerStart)
	in.POST("/time/timer/stop", s.timerStop)
	in.GET("/time/entries/:id/edit", s.timeEdit)
	in.POST("/time/entries/:id", s.timeUpdate)
	in.POST("/time/entries/:id/delete", s.timeDelete)
	// Managers and admins (checked in the handlers).
	in.GET("/time/review", s.timeReview)
	in.POST("/time/entries/:id/confirm", s.timeDecide(true))
	in.POST("/time/entries/:id/reject", s.timeDecide(false))
}
