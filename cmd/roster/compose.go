package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/absences"
	"github.com/rosterhq/roster/internal/absencesync"
	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/bank"
	"github.com/rosterhq/roster/internal/dashboard"
	"github.com/rosterhq/roster/internal/drift"
	"github.com/rosterhq/roster/internal/health"
	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/hrinvite"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/lifecycle"
	"github.com/rosterhq/roster/internal/linking"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/notify"
	"github.com/rosterhq/roster/internal/orgchart"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/teammap"
	"github.com/rosterhq/roster/internal/teams"
	"github.com/rosterhq/roster/internal/timetrack"
	"github.com/rosterhq/roster/web"
)

// services are the use cases of one Roster process, built once from the
// store: `serve`, `sync` and `bench` compose the same application.
type services struct {
	acc    *accounts.Service
	tms    *teams.Service
	tmap   *teammap.Service
	lnk    *linking.Service
	hri    *hrinvite.Service
	hr     *hrconnect.Service
	ntf    *notify.Service
	abs    *absences.Service
	absync *absencesync.Service
	bank   *bank.Service
	life   *lifecycle.Updater
	syncer *hrsync.Service
	dash   *dashboard.Service
	drift  *drift.Service
	org    *orgchart.Service
	outbox *outbox.Service
	time   *timetrack.Service
	health *health.Service
}

// servicesOptions are what the use cases need besides the store.
type servicesOptions struct {
	Sender     mail.Sender
	Box        *secrets.Box
	BaseURL    string
	SandboxURL string
	Limits     personio.Limits // zero: Personio's published limits
	Log        *slog.Logger
}

func newServices(st *store.Store, o servicesOptions) (*services, error) {
	log := o.Log
	s := &services{}
	s.acc = accounts.New(accounts.Options{Store: st, Mailer: o.Sender, BaseURL: o.BaseURL, Logger: log})
	s.tms = teams.New(st, time.Now, log)
	s.tmap = teammap.New(st, time.Now, log)
	s.lnk = linking.New(st, time.Now, log)
	s.hri = hrinvite.New(st, s.acc, time.Now, log)
	s.hr = hrconnect.New(hrconnect.Options{Store: st, Box: o.Box, Logger: log, SandboxURL: o.SandboxURL, Limits: o.Limits})
	s.ntf = notify.New(st, s.acc.EmailUser, time.Now, log.With("component", "notify"))
	// Reimbursement details are imported after every employee sync.
	s.bank = bank.New(bank.Options{Store: st, Box: o.Box, Providers: s.hr.Provider, Log: log.With("component", "bank")})
	// Due pushes (time entries, absences) go out after every employee sync.
	s.outbox = newOutbox(st, s.hr, s.ntf, log)
	// Absences between Roster and Personio per the leading-system setting:
	// imported after every employee sync, pushed through the outbox.
	s.absync = absencesync.New(absencesync.Options{Store: st, Providers: s.hr.Provider, Outbox: s.outbox, Log: log.With("component", "absencesync")})
	s.outbox.Register(store.OutboxAbsence, s.absync.Pusher())
	s.time = timetrack.New(timetrack.Options{Store: st, Log: log.With("component", "timetrack")})
	// Sync health: checked after every run (Also step on success, OnFinish
	// on failure) and by the periodic job; alerts go to the admins.
	s.health = health.New(health.Options{Store: st, Notify: s.ntf, Log: log.With("component", "health")})
	s.life = lifecycle.New(lifecycle.Options{Store: st, Log: log.With("component", "lifecycle"), Notify: s.ntf, Accounts: s.acc, Invite: s.hri,
		Also: []func(context.Context, *store.SyncRun) error{s.bank.Import, s.absync.Import, outboxAfterSync(s.outbox),
			func(ctx context.Context, run *store.SyncRun) error { return s.abs.AfterSync(ctx, run) }, // approvers away today (s.abs is built below)
			s.health.AfterSync}})
	var err error
	if s.syncer, err = newSyncService(st, s.hr, s.acc, s.life, s.health, log, map[string]hrsync.AreaFunc{
		store.AreaAbsences:     s.absync.AreaSync,
		store.AreaTimeTracking: outboxArea(s.outbox, store.OutboxTimeEntry)}); err != nil {
		return nil, err
	}
	s.dash = dashboard.New(st, time.Now).WithRuns(s.syncer.ListRuns)
	s.drift = drift.New(drift.Options{Store: st, Linking: s.lnk, Invite: s.hri, TeamMap: s.tmap, Log: log.With("component", "drift")})
	s.org = orgchart.New(orgchart.Options{Store: st, Pictures: orgPictures(s.hr), Log: log.With("component", "orgchart")})
	// Absences: every change of a Roster absence tells absencesync (OnChange).
	s.abs = absences.New(absences.Options{Store: st, Notify: s.ntf, Providers: s.hr.Provider, Log: log.With("component", "absences"),
		OnChange: s.absync.OnChange})
	return s, nil
}

// webDeps are the web server's dependencies from the services.
func (s *services) webDeps(st *store.Store) web.Deps {
	return web.Deps{DB: st, Accounts: s.acc, Teams: s.tms, HR: s.hr, Sync: s.syncer, TeamMap: s.tmap, Linking: s.lnk,
		HRInvite: s.hri, Notify: s.ntf, Lifecycle: s.life, Bank: s.bank, Dashboard: s.dash, Org: s.org, Absences: s.abs,
		Time: s.time, Outbox: s.outbox, Drift: s.drift, Health: s.health}
}
