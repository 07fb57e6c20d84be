package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rosterhq/roster/static"
)

// routes registers every route of the app. This is the one map of URLs.
func (s *Server) routes() {
	e := s.echo
	// Security headers first, so that every answer carries them (redirects included).
	e.Pre(securityHeaders)
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(s.requestLog)
	e.Use(bodyLimit(maxBodyBytes))

	// Operations: no session, no CSRF.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{})))
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", staticHandler(static.FS))))

	app := e.Group("", s.csrf(), s.loadSession)

	// Public pages.
	app.GET("/setup", s.setupForm)
	app.POST("/setup", s.setupSubmit)
	app.GET("/signup", s.signupForm)
	app.POST("/signup", s.signupSubmit)
	app.GET("/login", s.loginForm)
	app.POST("/login", s.loginSubmit)
	app.POST("/logout", s.logout)
	app.GET("/invitations/:token", s.acceptForm)
	app.POST("/invitations/:token", s.acceptSubmit)
	if s.Dev && s.Mailbox != nil {
		app.GET("/dev/mailbox", s.mailbox)
	}

	// Everyone logged in.
	in := app.Group("", s.requireLogin)
	in.GET("/", s.dashboard)
	in.GET("/teams", s.teamsList)
	in.GET("/teams/:id", s.teamShow)
	in.GET("/notifications", s.notificationsList)
	in.GET("/notifications/count", s.notificationsCount)
	in.POST("/notifications/read-all", s.notificationsReadAll)
	in.POST("/notifications/:id/read", s.notificationRead)
	in.GET("/org", s.orgChart)
	in.GET("/org/search", s.orgSearch)
	in.GET("/org/:id/reports", s.orgReports)
	in.GET("/people/:id", s.profile)
	in.GET("/people/:id/picture", s.profilePicture)

	// Admins and owners.
	adm := in.Group("", s.requireAdmin)
	adm.GET("/users", s.usersList)
	adm.GET("/users/export", s.usersExport)
	adm.GET("/users/invite", s.inviteForm)
	adm.POST("/users/invite", s.inviteSubmit)
	adm.GET("/users/invite-hr", s.inviteHR)
	adm.POST("/users/invite-hr", s.inviteHRSelected)
	adm.POST("/users/invite-hr/all", s.inviteHRAll)
	adm.GET("/users/:id", s.userEdit)
	adm.POST("/users/:id", s.userUpdate)
	adm.POST("/users/:id/deactivate", s.userDeactivate)
	adm.POST("/users/:id/reactivate", s.userReactivate)
	adm.POST("/users/:id/resend", s.userResend)
	adm.POST("/users/:id/revoke", s.userRevoke)
	adm.POST("/users/:id/undo-deactivation", s.userUndoDeactivation)
	adm.POST("/users/bank-export", s.bankExport)
	adm.GET("/users/bank-export", s.bankExportPage)
	adm.POST("/teams", s.teamCreate)
	adm.POST("/teams/:id", s.teamUpdate)
	adm.POST("/teams/:id/delete", s.teamDelete)
	adm.POST("/teams/:id/members", s.teamAddMember)
	adm.POST("/teams/:id/members/:userID/remove", s.teamRemoveMember)
	adm.GET("/audit", s.auditList)
	adm.GET("/settings/hr", s.hrTab)
	adm.GET("/settings/hr/connect", s.hrConnectStart)
	adm.GET("/settings/hr/connect/:step", s.hrConnectStep)
	adm.POST("/settings/hr/connect/:step", s.hrConnectSubmit)
	adm.POST("/settings/hr/disconnect", s.hrDisconnect)
	adm.GET("/settings/hr/sync", s.hrSettings)
	adm.POST("/settings/hr/sync", s.hrSettingsSave)
	adm.POST("/settings/hr/sync-now", s.syncNow)
	adm.GET("/settings/hr/runs/:id", s.runShow)
	adm.GET("/settings/hr/runs/:id/progress", s.runProgress)
	adm.GET("/settings/hr/api-log", s.apiLog)
	adm.GET("/settings/hr/employees", s.hrEmployees)
	adm.GET("/settings/hr/employees/export", s.hrEmployeesExport)
	adm.POST("/settings/hr/employees/:personioID/exclude", s.hrEmployeeExclude)
	adm.POST("/settings/hr/employees/:personioID/include", s.hrEmployeeInclude)
	adm.GET("/settings/hr/teams", s.teamMap)
	adm.POST("/settings/hr/teams", s.teamMapSave)
	adm.POST("/settings/hr/teams/create", s.teamMapCreate)
	adm.POST("/settings/hr/teams/create-all", s.teamMapCreateAll)
	adm.GET("/settings/hr/link", s.linkUsers)
	adm.GET("/settings/hr/link/search", s.linkSearch)
	adm.POST("/settings/hr/link", s.linkUsersSave)
	adm.POST("/settings/hr/holds/:id/confirm", s.holdConfirm)
	adm.POST("/settings/hr/holds/:id/discard", s.holdDiscard)

	// Absences (absences, approvals, calendar, categories) and time
	// tracking register their routes in their own files.
	s.absenceRoutes(in, adm)
	s.timeRoutes(in, adm)
	// What no other HR sync has (drift report, lineage, health and alerts).
	s.driftRoutes(in, adm)
	s.lineageRoutes(in, adm)
	s.healthRoutes(in, adm)
	s.previewRoutes(in, adm)
}
