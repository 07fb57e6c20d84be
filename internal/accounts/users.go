package accounts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rosterhq/roster/internal/dryrun"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/auth"
	rmail "github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// PageSize is the users page size.
const PageSize = 25

// UserRow is a user with teams and invitation state, for lists.
type UserRow struct {
	store.User
	Teams      []store.Team
	Invitation *store.Invitation
	// ManagerName is the name of the user's manager ("" for none).
	ManagerName string
	// StatusBy names who deactivated or locked the user (the actor of the
	// latest deactivation or lock; "" when unknown). GetUser only.
	StatusBy string
}

// managerNames maps the managers of the users to their names.
func (s *Service) managerNames(ctx context.Context, orgID int64, users []store.User) (map[int64]string, error) {
	var ids []int64
	for _, u := range users {
		if u.ManagerID != nil {
			ids = append(ids, *u.ManagerID)
		}
	}
	ms, err := s.store.UsersByIDs(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(ms))
	for id, m := range ms {
		out[id] = m.Name
	}
	return out, nil
}

// InvitationExpired reports whether the latest invitation is past its expiry.
func (r UserRow) InvitationExpired(now time.Time) bool {
	return r.Invitation != nil && r.Invitation.AcceptedAt == nil && now.After(r.Invitation.ExpiresAt)
}

// UserPage is one page of users.
type UserPage struct {
	Rows  []UserRow
	Total int64
	Page  int
	Pages int
}

// ListUsers returns one page of users with their teams.
func (s *Service) ListUsers(ctx context.Context, a roster.Actor, f store.UserFilter, page int) (*UserPage, error) {
	if page < 1 {
		page = 1
	}
	f.Limit, f.Offset = PageSize, (page-1)*PageSize
	users, total, err := s.store.ListUsers(ctx, a.OrgID, f)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	teams, err := s.store.TeamsOfUsers(ctx, a.OrgID, ids)
	if err != nil {
		return nil, err
	}
	invs, err := s.store.LatestInvitations(ctx, a.OrgID, ids)
	if err != nil {
		return nil, err
	}
	managers, err := s.managerNames(ctx, a.OrgID, users)
	if err != nil {
		return nil, err
	}
	out := &UserPage{Total: total, Page: page, Pages: int((total + PageSize - 1) / PageSize)}
	for _, u := range users {
		row := UserRow{User: u, Teams: teams[u.ID]}
		if u.ManagerID != nil {
			row.ManagerName = managers[*u.ManagerID]
		}
		if inv, ok := invs[u.ID]; ok {
			row.Invitation = &inv
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// GetUser loads one user with teams.
func (s *Service) GetUser(ctx context.Context, a roster.Actor, id int64) (*UserRow, error) {
	u, err := s.store.User(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	teams, err := s.store.TeamsOfUsers(ctx, a.OrgID, []int64{id})
	if err != nil {
		return nil, err
	}
	invs, err := s.store.LatestInvitations(ctx, a.OrgID, []int64{id})
	if err != nil {
		return nil, err
	}
	managers, err := s.managerNames(ctx, a.OrgID, []store.User{*u})
	if err != nil {
		return nil, err
	}
	row := &UserRow{User: *u, Teams: teams[id]}
	if u.ManagerID != nil {
		row.ManagerName = managers[*u.ManagerID]
	}
	if inv, ok := invs[id]; ok {
		row.Invitation = &inv
	}
	if u.Status == store.StatusDeactivated || u.LockedAt != nil {
		action := ActionDeactivated
		if u.Status != store.StatusDeactivated {
			action = ActionLocked
		}
		ev, err := s.store.LatestAuditOf(ctx, a.OrgID, "user", id, action)
		switch {
		case errors.Is(err, roster.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			row.StatusBy = ev.ActorName
		}
	}
	return row, nil
}

// InviteInput invites a user by email.
type InviteInput struct {
	Email, Name, Role string
	TeamIDs           []int64
}

func (s *Service) checkRoleChange(a roster.Actor, role string) error {
	if !slices.Contains(store.Roles, role) {
		return &roster.ValidationError{Fields: map[string]string{"role": "Choose a role."}}
	}
	if role == store.RoleOwner && a.Role != store.RoleOwner {
		return &roster.ValidationError{Fields: map[string]string{"role": "Only an owner can make someone an owner."}}
	}
	return nil
}

func (s *Service) checkTeams(ctx context.Context, orgID int64, ids []int64) error {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	ts, err := s.store.TeamsByIDs(ctx, orgID, ids)
	if err != nil {
		return err
	}
	if len(ts) != len(ids) {
		return &roster.ValidationError{Fields: map[string]string{"teams": "One of the chosen teams does not exist any more."}}
	}
	return nil
}

// Invite creates an invited user and emails a one-time link valid 7 days.
func (s *Service) Invite(ctx context.Context, a roster.Actor, in InviteInput) (*store.User, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	p := roster.Problems{}
	if !ValidEmail(in.Email) {
		p.Add("email", "Enter a valid email address, like name@company.com.")
	}
	if in.Name == "" {
		p.Add("name", "Enter the person's name.")
	}
	if err := s.checkRoleChange(a, in.Role); err != nil {
		for k, v := range roster.FieldErrors(err) {
			p.Add(k, v)
		}
	}
	if err := s.checkTeams(ctx, a.OrgID, in.TeamIDs); err != nil {
		if fe := roster.FieldErrors(err); fe != nil {
			for k, v := range fe {
				p.Add(k, v)
			}
		} else {
			return nil, err
		}
	}
	if ValidEmail(in.Email) {
		if _, err := s.store.UserByEmail(ctx, a.OrgID, in.Email); err == nil {
			p.Add("email", "A user with this email already exists in your organisation.")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := store.User{OrgID: a.OrgID, Email: in.Email, Name: in.Name, Role: in.Role, Status: store.StatusInvited, CreatedAt: now, UpdatedAt: now}
	var raw string
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.CreateUser(ctx, &u); err != nil {
			if errors.Is(err, roster.ErrConflict) {
				return &roster.ValidationError{Fields: map[string]string{"email": "A user with this email already exists in your organisation."}}
			}
			return err
		}
		if err := tx.SetUserTeams(ctx, a.OrgID, u.ID, in.TeamIDs, "manual"); err != nil {
			return err
		}
		var err error
		if raw, err = s.newInvitation(ctx, tx, a, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "user.invited", "user", u.ID, u.Email, "role "+u.Role)
	})
	if err != nil {
		return nil, err
	}
	s.sendInvitation(ctx, a, &u, raw)
	return &u, nil
}

func (s *Service) newInvitation(ctx context.Context, tx *store.Store, a roster.Actor, userID int64) (string, error) {
	now := s.now().UTC()
	if err := tx.RevokeOpenInvitations(ctx, a.OrgID, userID, now); err != nil {
		return "", err
	}
	raw, hash := auth.NewToken()
	inv := store.Invitation{OrgID: a.OrgID, UserID: userID, TokenHash: hash, ExpiresAt: now.Add(InvitationTTL), CreatedAt: now}
	if a.UserID != 0 { // 0: the Personio sync invites on its own
		by := a.UserID
		inv.CreatedByID = &by
	}
	return raw, tx.CreateInvitation(ctx, &inv)
}

func (s *Service) sendInvitation(ctx context.Context, a roster.Actor, u *store.User, raw string) {
	org, err := s.store.Organization(ctx, a.OrgID)
	orgName := "your organisation"
	if err == nil {
		orgName = org.Name
	}
	link := s.baseURL + "/invitations/" + raw
	msg := rmail.Message{
		To:      u.Email,
		Subject: fmt.Sprintf("%s invited you to %s on Roster", a.Name, orgName),
		Text: fmt.Sprintf("Hello %s,\n\n%s invited you to join %s on Roster.\n\nSet your password here (the link works once and expires in 7 days):\n%s\n",
			u.Name, a.Name, orgName, link),
		Link: link,
	}
	if err := s.send(ctx, msg); err != nil {
		s.log.ErrorContext(ctx, "invitation email failed", "user_id", u.ID, "err", err)
	}
}

// send delivers m, or, while a sync runs in a transaction (a preview or
// the apply of one), holds it back until the transaction has committed.
func (s *Service) send(ctx context.Context, m rmail.Message) error {
	if e := dryrun.From(ctx); e != nil {
		e.HoldMail(dryrun.Mail{To: m.To, Subject: m.Subject}, func(c context.Context) error {
			if err := s.mailer.Send(c, m); err != nil {
				s.log.ErrorContext(c, "email after sync failed", "err", err)
				return err
			}
			return nil
		})
		return nil
	}
	return s.mailer.Send(ctx, m)
}

// ResendInvitation issues a new link (the old one stops working).
func (s *Service) ResendInvitation(ctx context.Context, a roster.Actor, userID int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	u, err := s.store.User(ctx, a.OrgID, userID)
	if err != nil {
		return err
	}
	if u.Status != store.StatusInvited {
		return &roster.ValidationError{Fields: map[string]string{"": u.Name + " has already accepted the invitation."}}
	}
	var raw string
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if raw, err = s.newInvitation(ctx, tx, a, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "user.invitation_resent", "user", u.ID, u.Email, "")
	})
	if err != nil {
		return err
	}
	s.sendInvitation(ctx, a, u, raw)
	return nil
}

// RevokeInvitation withdraws an open invitation and removes the invited user.
func (s *Service) RevokeInvitation(ctx context.Context, a roster.Actor, userID int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	u, err := s.store.User(ctx, a.OrgID, userID)
	if err != nil {
		return err
	}
	if u.Status != store.StatusInvited {
		return &roster.ValidationError{Fields: map[string]string{"": u.Name + " has already accepted; deactivate the user instead."}}
	}
	return s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.DeleteUser(ctx, a.OrgID, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "user.invitation_revoked", "user", 0, u.Email, "")
	})
}

// PendingInvitation is an open invitation found by its token.
type PendingInvitation struct {
	User store.User
	Org  store.Organization
	inv  store.Invitation
}

// FindInvitation resolves a token to an open invitation.
func (s *Service) FindInvitation(ctx context.Context, token string) (*PendingInvitation, error) {
	inv, err := s.store.InvitationByTokenHash(ctx, auth.HashToken(token))
	if err != nil {
		return nil, ErrBadInvite
	}
	if inv.AcceptedAt != nil || inv.RevokedAt != nil || s.now().After(inv.ExpiresAt) {
		return nil, ErrBadInvite
	}
	u, err := s.store.User(ctx, inv.OrgID, inv.UserID)
	if err != nil || u.Status != store.StatusInvited {
		return nil, ErrBadInvite
	}
	org, err := s.store.Organization(ctx, inv.OrgID)
	if err != nil {
		return nil, err
	}
	return &PendingInvitation{User: *u, Org: *org, inv: *inv}, nil
}

// AcceptInvitation sets name and password and activates the user.
func (s *Service) AcceptInvitation(ctx context.Context, token, name, password string) (*store.User, error) {
	pi, err := s.FindInvitation(ctx, token)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	p := roster.Problems{}
	if name == "" {
		p.Add("name", "Enter your name.")
	}
	if err := auth.ValidatePassword(password, pi.User.Email); err != nil {
		p.Add("password", err.Error())
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a := roster.Actor{UserID: pi.User.ID, OrgID: pi.User.OrgID, Name: name, Role: pi.User.Role}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.MarkInvitationAccepted(ctx, pi.inv.ID, now); err != nil {
			return err
		}
		if err := tx.UpdateUserFields(ctx, pi.User.OrgID, pi.User.ID, map[string]any{"name": name, "password_hash": hash, "status": store.StatusActive}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "user.invitation_accepted", "user", pi.User.ID, pi.User.Email, "")
	})
	if err != nil {
		return nil, err
	}
	return s.store.User(ctx, pi.User.OrgID, pi.User.ID)
}

// UpdateInput edits a user.
type UpdateInput struct {
	Name, JobTitle, Role string
	TeamIDs              []int64
}

// ManagedInPersonio is the form error for a changed name or job title of a
// user linked to a Personio employee.
const ManagedInPersonio = "Managed in Personio — change it there; it reaches Roster at the next sync."

// UpdateUser changes name, title, role and teams. The name and job title of
// a user linked to a Personio employee are managed in Personio: they are
// kept, and a different value is refused with a form error.
func (s *Service) UpdateUser(ctx context.Context, a roster.Actor, id int64, in UpdateInput) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	u, err := s.store.User(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	in.JobTitle = strings.TrimSpace(in.JobTitle)
	p := roster.Problems{}
	if u.FromPersonio() {
		if in.Name != "" && in.Name != u.Name {
			p.Add("name", ManagedInPersonio)
		}
		if in.JobTitle != "" && in.JobTitle != u.JobTitle {
			p.Add("job_title", ManagedInPersonio)
		}
		in.Name, in.JobTitle = u.Name, u.JobTitle
	}
	if in.Name == "" {
		p.Add("name", "Enter a name.")
	}
	if err := s.checkRoleChange(a, in.Role); err != nil {
		for k, v := range roster.FieldErrors(err) {
			p.Add(k, v)
		}
	}
	if u.Role == store.RoleOwner && a.Role != store.RoleOwner && in.Role != u.Role {
		p.Add("role", "Only an owner can change an owner's role.")
	}
	if u.Role == store.RoleOwner && in.Role != store.RoleOwner && u.Status == store.StatusActive {
		if n, err := s.store.CountActiveOwners(ctx, a.OrgID); err != nil {
			return err
		} else if n <= 1 {
			p.Add("role", "The organisation needs at least one active owner.")
		}
	}
	if err := s.checkTeams(ctx, a.OrgID, in.TeamIDs); err != nil {
		if fe := roster.FieldErrors(err); fe != nil {
			for k, v := range fe {
				p.Add(k, v)
			}
		} else {
			return err
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(tx *store.Store) error {
		fields := map[string]any{"name": in.Name, "job_title": in.JobTitle, "role": in.Role}
		if in.Role != u.Role {
			fields["role_source"] = "" // set in Roster: the HR sync leaves it alone
		}
		if err := tx.UpdateUserFields(ctx, a.OrgID, id, fields); err != nil {
			return err
		}
		if err := tx.SetUserTeams(ctx, a.OrgID, id, in.TeamIDs, "manual"); err != nil {
			return err
		}
		details := ""
		if in.Role != u.Role {
			details = fmt.Sprintf("role %s → %s", u.Role, in.Role)
		}
		return s.audit(ctx, tx, a, "user.updated", "user", id, u.Email, details)
	})
}

// Deactivate locks a user out (data kept) and ends their sessions at once;
// team links are removed and recorded so UndoDeactivation restores them.
func (s *Service) Deactivate(ctx context.Context, a roster.Actor, id int64) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	u, err := s.store.User(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	if u.ID == a.UserID {
		return &roster.ValidationError{Fields: map[string]string{"": "You cannot deactivate yourself."}}
	}
	if u.Role == store.RoleOwner && a.Role != store.RoleOwner {
		return &roster.ValidationError{Fields: map[string]string{"": "Only an owner can deactivate an owner."}}
	}
	if u.Status == store.StatusDeactivated {
		return nil
	}
	return s.store.Tx(ctx, func(tx *store.Store) error {
		return s.DeactivateTx(ctx, tx, a, u, ReasonAdmin, nil)
	})
}

// Reactivate restores a deactivated user (active when a password exists,
// else invited) with the links the deactivation removed: it is
// UndoDeactivation.
func (s *Service) Reactivate(ctx context.Context, a roster.Actor, id int64) error {
	return s.UndoDeactivation(ctx, a, id)
}

// ExportFormats lists supported export formats.
var ExportFormats = []string{"csv", "json"}

type exportRow struct {
	ID        int64    `json:"id"`
	Email     string   `json:"email"`
	Name      string   `json:"name"`
	Role      string   `json:"role"`
	Status    string   `json:"status"`
	JobTitle  string   `json:"job_title"`
	Teams     []string `json:"teams"`
	CreatedAt string   `json:"created_at"`
	LastLogin string   `json:"last_login_at,omitempty"`
}

// ExportUsers writes the users matching f as CSV or JSON, streaming in batches.
func (s *Service) ExportUsers(ctx context.Context, a roster.Actor, f store.UserFilter, format string, w io.Writer) error {
	if err := a.RequireAdmin(); err != nil {
		return err
	}
	if !slices.Contains(ExportFormats, format) {
		return &roster.ValidationError{Fields: map[string]string{"format": "Choose csv or json."}}
	}
	f.Limit, f.Offset = 0, 0
	var cw *csv.Writer
	first := true
	if format == "csv" {
		cw = csv.NewWriter(w)
		if err := cw.Write([]string{"id", "email", "name", "role", "status", "job_title", "teams", "created_at", "last_login_at"}); err != nil {
			return err
		}
	} else if _, err := io.WriteString(w, "[\n"); err != nil {
		return err
	}
	err := s.store.EachUser(ctx, a.OrgID, f, func(users []store.User) error {
		ids := make([]int64, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		teams, err := s.store.TeamsOfUsers(ctx, a.OrgID, ids)
		if err != nil {
			return err
		}
		for _, u := range users {
			r := exportRow{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Status: u.Status, JobTitle: u.JobTitle,
				Teams: []string{}, CreatedAt: u.CreatedAt.UTC().Format(time.RFC3339)}
			for _, t := range teams[u.ID] {
				r.Teams = append(r.Teams, t.Name)
			}
			if u.LastLoginAt != nil {
				r.LastLogin = u.LastLoginAt.UTC().Format(time.RFC3339)
			}
			if cw != nil {
				rec := []string{fmt.Sprint(r.ID), r.Email, r.Name, r.Role, r.Status, r.JobTitle, strings.Join(r.Teams, "; "), r.CreatedAt, r.LastLogin}
				for i := range rec {
					rec[i] = roster.CSVSafe(rec[i])
				}
				if err := cw.Write(rec); err != nil {
					return err
				}
				continue
			}
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			sep := ",\n"
			if first {
				sep, first = "", false
			}
			if _, err := io.WriteString(w, sep+"  "+string(b)); err != nil {
				return err
			}
		}
		return nil
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

// CountByStatus counts the organisation's users per status.
func (s *Service) CountByStatus(ctx context.Context, a roster.Actor) (map[string]int64, error) {
	return s.store.CountUsersByStatus(ctx, a.OrgID)
}

// UsersByIDs loads users of the actor's organisation.
func (s *Service) UsersByIDs(ctx context.Context, a roster.Actor, ids []int64) (map[int64]store.User, error) {
	return s.store.UsersByIDs(ctx, a.OrgID, ids)
}

// ActiveUsers lists users who are not deactivated (pickers).
func (s *Service) ActiveUsers(ctx context.Context, a roster.Actor) ([]store.User, error) {
	return s.store.ActiveUsers(ctx, a.OrgID)
}

// Audit lists the organisation's audit events (admins only).
func (s *Service) Audit(ctx context.Context, a roster.Actor, f store.AuditFilter) ([]store.AuditEvent, int64, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, 0, err
	}
	return s.store.ListAudit(ctx, a.OrgID, f)
}

// AuditActions lists the recorded actions (filter options).
func (s *Service) AuditActions(ctx context.Context, a roster.Actor) ([]string, error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, err
	}
	return s.store.AuditActions(ctx, a.OrgID)
}

// Record appends an admin action to the audit log (for use cases outside this package).
func (s *Service) Record(ctx context.Context, a roster.Actor, action, targetType string, targetID int64, label, details string) error {
	return s.audit(ctx, s.store, a, action, targetType, targetID, label, details)
}

// EmailUser sends a notification email to a user of the organisation.
func (s *Service) EmailUser(ctx context.Context, orgID, userID int64, subject, text, path string) error {
	u, err := s.store.User(ctx, orgID, userID)
	if err != nil {
		return err
	}
	return s.send(ctx, rmail.Message{To: u.Email, Subject: subject, Text: "Hello " + u.Name + ",\n\n" + text + "\n\n" + s.baseURL + path + "\n", Link: s.baseURL + path})
}

// InviteeInput is a Personio employee to invite as a user linked to them.
type InviteeInput struct {
	Email, Name, JobTitle string
	PersonioID            int64
}

// InviteEmployees creates, inside tx, one invited member per input, linked
// to its Personio employee, each with a one-time link valid 7 days, and
// audits "user.invited". The caller validates the inputs and runs send
// once tx has committed: it emails the invitations.
func (s *Service) InviteEmployees(ctx context.Context, tx *store.Store, a roster.Actor, in []InviteeInput) (users []store.User, send func(), err error) {
	if err := a.RequireAdmin(); err != nil {
		return nil, nil, err
	}
	now := s.now().UTC()
	raws := make([]string, 0, len(in))
	for _, e := range in {
		pid := e.PersonioID
		u := store.User{OrgID: a.OrgID, Email: NormalizeEmail(e.Email), Name: strings.TrimSpace(e.Name), JobTitle: strings.TrimSpace(e.JobTitle),
			Role: store.RoleMember, Status: store.StatusInvited, PersonioID: &pid, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateUser(ctx, &u); err != nil {
			if errors.Is(err, roster.ErrConflict) {
				return nil, nil, &roster.ValidationError{Fields: map[string]string{"": fmt.Sprintf("%s is already a user or linked to one.", u.Email)}}
			}
			return nil, nil, err
		}
		raw, err := s.newInvitation(ctx, tx, a, u.ID)
		if err != nil {
			return nil, nil, err
		}
		details := fmt.Sprintf("role %s; from Personio employee %d", u.Role, pid)
		if err := s.audit(ctx, tx, a, "user.invited", "user", u.ID, u.Email, details); err != nil {
			return nil, nil, err
		}
		users = append(users, u)
		raws = append(raws, raw)
	}
	send = func() {
		for i := range users {
			s.sendInvitation(ctx, a, &users[i], raws[i])
		}
	}
	return users, send, nil
}
