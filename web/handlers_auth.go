package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/views"
)

func (s *Server) setupForm(c echo.Context) error {
	first, err := s.Accounts.NeedsSetup(c.Request().Context())
	if err != nil {
		return err
	}
	if !first {
		return redirect(c, "/login")
	}
	return render(c, http.StatusOK, views.Setup(views.SetupForm{CSRF: csrfToken(c), Action: "/setup"}), nil)
}

func setupInput(c echo.Context) accounts.SetupInput {
	return accounts.SetupInput{OrgName: c.FormValue("org_name"), TimeZone: c.FormValue("timezone"),
		OwnerName: c.FormValue("owner_name"), Email: c.FormValue("email"), Password: c.FormValue("password")}
}

func (s *Server) setupSubmit(c echo.Context) error {
	in := setupInput(c)
	_, owner, err := s.Accounts.Setup(c.Request().Context(), in)
	if errors.Is(err, accounts.ErrSetupDone) {
		return redirect(c, "/login")
	}
	return s.finishOrgCreation(c, in, owner, err, false)
}

func (s *Server) signupForm(c echo.Context) error {
	if !s.SignupOpen {
		return echo.ErrNotFound
	}
	return render(c, http.StatusOK, views.Setup(views.SetupForm{CSRF: csrfToken(c), Action: "/signup", Signup: true}), nil)
}

func (s *Server) signupSubmit(c echo.Context) error {
	if !s.SignupOpen {
		return echo.ErrNotFound
	}
	in := setupInput(c)
	_, owner, err := s.Accounts.CreateOrganization(c.Request().Context(), in)
	return s.finishOrgCreation(c, in, owner, err, true)
}

func (s *Server) finishOrgCreation(c echo.Context, in accounts.SetupInput, owner *store.User, err error, signup bool) error {
	if fe := roster.FieldErrors(err); fe != nil {
		action := "/setup"
		if signup {
			action = "/signup"
		}
		return render(c, http.StatusUnprocessableEntity, views.Setup(views.SetupForm{CSRF: csrfToken(c), Action: action, Signup: signup,
			OrgName: in.OrgName, TimeZone: in.TimeZone, OwnerName: in.OwnerName, Email: in.Email, Errors: fe}), nil)
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, owner); err != nil {
		return err
	}
	s.flash(c, "success", "Your organisation is ready. Invite your colleagues or create teams to get started.")
	return redirect(c, "/")
}

func (s *Server) startSession(c echo.Context, u *store.User) error {
	sess, _ := s.cookies.Get(c.Request(), sessionName)
	if old, ok := sess.Values["sid"].(string); ok {
		_ = s.Accounts.Logout(c.Request().Context(), old)
	}
	tok, err := s.Accounts.StartSession(c.Request().Context(), u, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	sess.Values["sid"] = tok // a fresh token on every login: no session fixation
	return sess.Save(c.Request(), c.Response())
}

func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginForm(c echo.Context) error {
	if currentUser(c) != nil {
		return redirect(c, "/")
	}
	first, err := s.Accounts.NeedsSetup(c.Request().Context())
	if err != nil {
		return err
	}
	if first {
		return redirect(c, "/setup")
	}
	return render(c, http.StatusOK, views.Login(views.LoginForm{CSRF: csrfToken(c), Next: c.QueryParam("next"), Signup: s.SignupOpen, Flashes: s.takeFlashes(c)}), nil)
}

func (s *Server) loginSubmit(c echo.Context) error {
	email, next := c.FormValue("email"), safeNext(c.FormValue("next"))
	u, err := s.Accounts.Login(c.Request().Context(), email, c.FormValue("password"), c.RealIP(), c.FormValue("org"))
	if errors.Is(err, accounts.ErrBadLogin) || errors.Is(err, accounts.ErrThrottled) || errors.Is(err, accounts.ErrNoAccess) {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, accounts.ErrThrottled) {
			status = http.StatusTooManyRequests
		}
		return render(c, status, views.Login(views.LoginForm{CSRF: csrfToken(c), Email: email, Next: next, Error: err.Error(), Signup: s.SignupOpen}), nil)
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return redirect(c, next)
}

func (s *Server) logout(c echo.Context) error {
	sess, _ := s.cookies.Get(c.Request(), sessionName)
	if tok, ok := sess.Values["sid"].(string); ok {
		if err := s.Accounts.Logout(c.Request().Context(), tok); err != nil {
			return err
		}
	}
	delete(sess.Values, "sid")
	sess.AddFlash("success|You are logged out.")
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return redirect(c, "/login")
}

func (s *Server) acceptForm(c echo.Context) error {
	pi, err := s.Accounts.FindInvitation(c.Request().Context(), c.Param("token"))
	if errors.Is(err, accounts.ErrBadInvite) {
		return render(c, http.StatusNotFound, views.Message("Invitation not valid", err.Error(), "/login", "Go to login"), nil)
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Accept(views.AcceptForm{CSRF: csrfToken(c), Token: c.Param("token"), OrgName: pi.Org.Name, Email: pi.User.Email, Name: pi.User.Name}), nil)
}

func (s *Server) acceptSubmit(c echo.Context) error {
	token := c.Param("token")
	u, err := s.Accounts.AcceptInvitation(c.Request().Context(), token, c.FormValue("name"), c.FormValue("new_password"))
	if errors.Is(err, accounts.ErrBadInvite) {
		return render(c, http.StatusNotFound, views.Message("Invitation not valid", err.Error(), "/login", "Go to login"), nil)
	}
	if fe := roster.FieldErrors(err); fe != nil {
		pi, ferr := s.Accounts.FindInvitation(c.Request().Context(), token)
		if ferr != nil {
			return ferr
		}
		return render(c, http.StatusUnprocessableEntity, views.Accept(views.AcceptForm{CSRF: csrfToken(c), Token: token, OrgName: pi.Org.Name,
			Email: pi.User.Email, Name: c.FormValue("name"), Errors: fe}), nil)
	}
	if err != nil {
		return err
	}
	if err := s.Accounts.CheckAccess(c.Request().Context(), u, nil); errors.Is(err, accounts.ErrNoAccess) {
		// The password is set, but the user may not log in yet (access from
		// the hire date): no session.
		return render(c, http.StatusOK, views.Message("Your password is set", err.Error(), "/login", "Go to login"), nil)
	} else if err != nil {
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.flash(c, "success", "Welcome to Roster, "+u.Name+"!")
	return redirect(c, "/")
}
