package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for creating bench databases
	"gorm.io/gorm"

	"github.com/rosterhq/roster/internal/accounts"
	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/web"
)

// benchRow is one line of the results table.
type benchRow struct {
	Case, DB string
	Size     int
	Figure   string
	Limit    string
	Ratio    float64 // figure / limit; ≤ 1 meets the target
	Note     string
}

// benchSizes are the company sizes of each case (the issue's, or small
// ones with --quick).
type benchSizes struct {
	RateLimited []int
	Unlimited   []int
	Partial     int
	Memory      int
	Pages       int
	PageUsers   int
	Requests    int // requests per page per client
	Outbox      int // pending time entries pushed
}

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbs := fs.String("db", "sqlite,postgres", "databases to run on: sqlite, postgres or both")
	quick := fs.Bool("quick", false, "small sizes (a smoke run, not the targets)")
	out := fs.String("out", "", "also write the table to this file (Markdown)")
	pgURL := fs.String("postgres-url", firstNonEmpty(getenv("ROSTER_BENCH_POSTGRES_URL"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL admin URL (a database is created and dropped per case)")
	cases := fs.String("cases", "all", "comma list of: ratelimited, unlimited, partial, second, memory, pages, preview, outbox")
	slow := fs.Duration("slow", 0, "print every SQL statement slower than this to stderr (finding causes)")
	pageRequests := fs.Int("page-requests", 0, "requests per client and page (default 25, 3 with --quick)")
	clients := fs.Int("clients", 16, "concurrent clients of the page case")
	outboxEntries := fs.Int("outbox-entries", 0, "pending time entries of the outbox case (default 5,000; 40 with --quick)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole bench to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sz := benchSizes{RateLimited: []int{2000, 10000}, Unlimited: []int{10000, 50000}, Partial: 10000, Memory: 50000, Pages: 10000, PageUsers: 2000, Requests: 25, Outbox: 5000}
	if *quick {
		sz = benchSizes{RateLimited: []int{300}, Unlimited: []int{500}, Partial: 500, Memory: 1000, Pages: 500, PageUsers: 100, Requests: 3, Outbox: 40}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *outboxEntries > 0 {
		sz.Outbox = *outboxEntries
	}
	if *pageRequests > 0 {
		sz.Requests = *pageRequests
	}
	want := map[string]bool{}
	for _, c := range strings.Split(*cases, ",") {
		want[strings.TrimSpace(c)] = true
	}
	on := func(c string) bool { return want["all"] || want[c] }
	b := &bencher{ctx: ctx, pgURL: *pgURL, log: slog.New(slog.DiscardHandler), progress: stderr, slow: *slow, clients: *clients}
	var rows []benchRow
	for _, db := range strings.Split(*dbs, ",") {
		db = strings.TrimSpace(db)
		if db != string(store.SQLite) && db != string(store.Postgres) {
			return fmt.Errorf("unknown database %q: use sqlite or postgres", db)
		}
		steps := []struct {
			name string
			fn   func(string) ([]benchRow, error)
		}{
			{"ratelimited", func(db string) ([]benchRow, error) { return b.rateLimited(db, sz.RateLimited) }},
			{"unlimited", func(db string) ([]benchRow, error) { return b.unlimited(db, sz.Unlimited) }},
			{"partial", func(db string) ([]benchRow, error) { return b.partialAndSecond(db, sz.Partial) }},
			{"memory", func(db string) ([]benchRow, error) { return b.memory(db, sz.Memory) }},
			{"pages", func(db string) ([]benchRow, error) { return b.pages(db, sz.Pages, sz.PageUsers, sz.Requests) }},
			{"preview", func(db string) ([]benchRow, error) { return b.previewBench(db, sz.Partial) }},
		}
		for _, s := range steps {
			if !on(s.name) && !(s.name == "partial" && on("second")) {
				continue
			}
			fmt.Fprintf(stderr, "bench: %s on %s…\n", s.name, db)
			rs, err := s.fn(db)
			if err != nil {
				return fmt.Errorf("bench %s on %s: %w", s.name, db, err)
			}
			rows = append(rows, rs...)
		}
	}
	if on("outbox") {
		for _, db := range strings.Split(*dbs, ",") {
			db = strings.TrimSpace(db)
			fmt.Fprintf(stderr, "bench: outbox on %s…\n", db)
			r, err := b.outbox(db, sz.Outbox)
			if err != nil {
				return fmt.Errorf("bench outbox on %s: %w", db, err)
			}
			rows = append(rows, r)
		}
	}
	table := benchTable(rows, *quick)
	fmt.Fprint(stdout, table)
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(*out, []byte(table), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func benchTable(rows []benchRow, quick bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Roster benchmarks\n\n%s, %s/%s, %d CPUs, Go %s%s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), map[bool]string{true: ", --quick (small sizes: not the targets)"}[quick])
	b.WriteString("| Case | Database | Size | Figure | Limit | Ratio | Note |\n| --- | --- | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range rows {
		ratio := "-"
		if r.Ratio > 0 {
			mark := "✅"
			if r.Ratio > 1 {
				mark = "❌"
			}
			ratio = fmt.Sprintf("%.2f %s", r.Ratio, mark)
		} else if r.Limit != "" && r.Figure != "not measured" && r.Ratio == 0 {
			ratio = "0.00 ✅"
		}
		size := "-"
		if r.Size > 0 {
			size = fmt.Sprintf("%d", r.Size)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Case, r.DB, size, r.Figure, r.Limit, ratio, r.Note)
	}
	return b.String()
}

// bencher runs the cases.
type bencher struct {
	ctx      context.Context
	pgURL    string
	log      *slog.Logger
	progress io.Writer
	slow     time.Duration
	clients  int
}

// counter counts the SQL statements and the rows they wrote, through GORM
// callbacks: every query of the app goes through GORM.
type counter struct {
	queries     atomic.Int64
	rows        atomic.Int64 // rows written, any table
	dataRows    atomic.Int64 // rows written outside the run bookkeeping (runs, API log, leases, claims, sessions)
	bookkeeping map[string]bool
}

var writeSQL = regexp.MustCompile(`(?is)^\s*(?:with\s.*?\)\s*)?(insert\s+into|update|delete\s+from)\s+"?([a-z_]+)"?`)

func newCounter(db *gorm.DB, slow time.Duration, w io.Writer) (*counter, error) {
	c := &counter{bookkeeping: map[string]bool{"sync_runs": true, "api_calls": true, "sync_leases": true, "sync_run_warnings": true, "job_claims": true, "sessions": true}}
	start := func(tx *gorm.DB) { tx.InstanceSet("bench:start", time.Now()) }
	var slowMu sync.Mutex
	count := func(write bool) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			c.queries.Add(1)
			sqlText := tx.Statement.SQL.String()
			if v, ok := tx.InstanceGet("bench:start"); ok && slow > 0 {
				if d := time.Since(v.(time.Time)); d > slow {
					slowMu.Lock()
					fmt.Fprintf(w, "slow SQL %.1f ms: %s %v\n", ms(d), sqlText, tx.Statement.Vars)
					slowMu.Unlock()
				}
			}
			m := writeSQL.FindStringSubmatch(sqlText)
			if !write && m == nil {
				return
			}
			n := tx.Statement.RowsAffected
			if n <= 0 {
				return
			}
			table := tx.Statement.Table
			if m != nil {
				table = m[2]
			}
			c.rows.Add(n)
			if !c.bookkeeping[table] {
				c.dataRows.Add(n)
			}
		}
	}
	cb := db.Callback()
	return c, errors.Join(
		cb.Query().Before("gorm:query").Register("bench:query:start", start),
		cb.Row().Before("gorm:row").Register("bench:row:start", start),
		cb.Raw().Before("gorm:raw").Register("bench:raw:start", start),
		cb.Create().Before("gorm:create").Register("bench:create:start", start),
		cb.Update().Before("gorm:update").Register("bench:update:start", start),
		cb.Delete().Before("gorm:delete").Register("bench:delete:start", start),
		cb.Query().After("gorm:query").Register("bench:query", count(false)),
		cb.Row().After("gorm:row").Register("bench:row", count(false)),
		cb.Raw().After("gorm:raw").Register("bench:raw", count(false)),
		cb.Create().After("gorm:create").Register("bench:create", count(true)),
		cb.Update().After("gorm:update").Register("bench:update", count(true)),
		cb.Delete().After("gorm:delete").Register("bench:delete", count(true)),
	)
}

// benchEnv is one organisation on a fresh database, connected to its own
// sandbox company.
type benchEnv struct {
	st      *store.Store
	cnt     *counter
	sb      *sandbox.Server
	sbURL   string
	sbSkew  atomic.Int64 // sandbox clock offset (ns)
	svc     *services
	mailbox *mail.Mailbox
	actor   roster.Actor
	email   string
	cancel  context.CancelFunc
	drop    func()
}

const benchPassword = "bench-password-1234"

func (b *bencher) env(db string, employees int, rateLimit bool) (*benchEnv, error) {
	ctx, cancel := context.WithCancel(b.ctx)
	e := &benchEnv{cancel: cancel}
	var err error
	if e.st, e.drop, err = b.openStore(ctx, db); err != nil {
		cancel()
		return nil, err
	}
	if e.cnt, err = newCounter(e.st.DB(), b.slow, b.progress); err != nil {
		e.close()
		return nil, err
	}
	// The company is generated two days in the past, so that no employee
	// looks changed within a partial sync's look-back window unless the
	// bench changes it (the clock then runs at the present).
	e.sbSkew.Store(int64(-48 * time.Hour))
	e.sb = sandbox.New(sandbox.Options{Employees: employees, Seed: 1, RateLimit: rateLimit, HalfDayAsInt: true,
		Now: func() time.Time { return time.Now().Add(time.Duration(e.sbSkew.Load())) }})
	if e.sbURL, err = e.sb.Start(ctx, "127.0.0.1:0"); err != nil {
		e.close()
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	if err != nil {
		e.close()
		return nil, err
	}
	limits := personio.Limits{} // Personio's published limits
	if !rateLimit {
		limits = personio.NoLimits()
	}
	e.mailbox = mail.NewMailbox()
	if e.svc, err = newServices(e.st, servicesOptions{Sender: e.mailbox, Box: box, BaseURL: "http://roster.bench", Limits: limits, Log: b.log}); err != nil {
		e.close()
		return nil, err
	}
	e.email = "owner@bench.test"
	org, owner, err := e.svc.acc.Setup(ctx, accounts.SetupInput{OrgName: "Bench", TimeZone: "Europe/Berlin", OwnerName: "Bench Owner", Email: e.email, Password: benchPassword})
	if err != nil {
		e.close()
		return nil, err
	}
	e.actor = roster.Actor{OrgID: org.ID, UserID: owner.ID, Name: owner.Name, Role: owner.Role}
	if _, err := e.svc.hr.Connect(ctx, e.actor, hrconnect.Credentials{Provider: "personio", BaseURL: e.sbURL, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret}); err != nil {
		e.close()
		return nil, fmt.Errorf("connect to the sandbox: %w", err)
	}
	e.sbSkew.Store(0)
	return e, nil
}

func (e *benchEnv) close() {
	if e.svc != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = e.svc.syncer.Shutdown(sctx)
		cancel()
	}
	e.cancel()
	if e.drop != nil {
		e.drop()
	}
}

// sync runs one employee sync and returns its wall time.
func (e *benchEnv) sync(ctx context.Context, mode string) (time.Duration, error) {
	start := time.Now()
	r, started, err := e.svc.syncer.Run(ctx, e.actor.OrgID, hrsync.Request{Area: store.AreaEmployees, Mode: mode, Trigger: store.TriggerCLI})
	d := time.Since(start)
	if err != nil {
		return d, err
	}
	if !started || r.Status != store.RunSucceeded {
		return d, fmt.Errorf("%s sync did not succeed: %+v", mode, r)
	}
	return d, nil
}

// employeeRequests counts the sandbox's requests to the employee routes
// (the rate-limited bucket) and its 429 answers.
func employeeRequests(st sandbox.Stats) (n int) {
	for k, v := range st.Endpoints {
		if strings.HasPrefix(k, "GET /v1/company/employees") {
			n += v.Total
		}
	}
	return n
}

// endpointSummary lists the sandbox's requests by route.
func endpointSummary(st sandbox.Stats) string {
	keys := make([]string, 0, len(st.Endpoints))
	for k := range st.Endpoints {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s × %d", k, st.Endpoints[k].Total))
	}
	return strings.Join(parts, ", ")
}

func (b *bencher) openStore(ctx context.Context, db string) (*store.Store, func(), error) {
	if db == string(store.SQLite) {
		dir, err := os.MkdirTemp("", "roster-bench-")
		if err != nil {
			return nil, nil, err
		}
		st, err := store.Open(store.Options{SQLitePath: filepath.Join(dir, "roster.db")})
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, nil, err
		}
		drop := func() { _ = st.Close(); _ = os.RemoveAll(dir) }
		if _, err := st.Migrate(ctx); err != nil {
			drop()
			return nil, nil, err
		}
		return st, drop, nil
	}
	admin, err := sql.Open("pgx", b.pgURL)
	if err != nil {
		return nil, nil, err
	}
	name := fmt.Sprintf("roster_bench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		return nil, nil, fmt.Errorf("create database on %s (is PostgreSQL running? set --postgres-url): %w", redactURL(b.pgURL), err)
	}
	u, err := url.Parse(b.pgURL)
	if err != nil {
		_ = admin.Close()
		return nil, nil, err
	}
	u.Path = "/" + name
	st, err := store.Open(store.Options{DatabaseURL: u.String()})
	dropDB := func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close()
	}
	if err != nil {
		dropDB()
		return nil, nil, err
	}
	drop := func() { _ = st.Close(); dropDB() }
	if _, err := st.Migrate(ctx); err != nil {
		drop()
		return nil, nil, err
	}
	return st, drop, nil
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the configured URL"
	}
	return u.Redacted()
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// rateLimited: case 1.
func (b *bencher) rateLimited(db string, sizes []int) ([]benchRow, error) {
	var rows []benchRow
	for _, n := range sizes {
		e, err := b.env(db, n, true)
		if err != nil {
			return nil, err
		}
		// Start from full buckets on both sides, as a scheduled run would.
		time.Sleep(3500 * time.Millisecond)
		e.sb.ResetStats()
		d, err := e.sync(b.ctx, store.ModeFull)
		st := e.sb.Stats()
		if err != nil {
			e.close()
			return nil, err
		}
		// The same fetch with no database work, through the same limiter,
		// from full buckets again: what the limits alone cost.
		time.Sleep(3500 * time.Millisecond)
		fetch, err := fetchOnly(b.ctx, e.sbURL, personio.DefaultLimits())
		e.close()
		if err != nil {
			return nil, err
		}
		req := employeeRequests(st)
		limits := e.sb.RateLimits()
		burst, rate := 15.0, 5.0
		for _, l := range limits {
			if l.Name == "v1-employees" {
				burst, rate = float64(l.Capacity), l.RefillPerSecond
			}
		}
		pages := int(math.Ceil(float64(n) / 100))
		floor := time.Duration(math.Max(0, float64(req)-burst) / rate * float64(time.Second))
		ratio := 0.0
		if floor > 0 {
			ratio = d.Seconds() / (1.1 * floor.Seconds())
		}
		rows = append(rows, benchRow{Case: "1. Full sync, rate-limited", DB: db, Size: n, Figure: secs(d), Limit: "≤ 1.1 × " + secs(floor), Ratio: ratio,
			Note: fmt.Sprintf("%d employee requests (%d pages), %d responses 429, %d requests in all; fetch only through the same limiter %s", req, pages, st.RateLimited, st.Total, secs(fetch))})
	}
	return rows, nil
}

// unlimited: case 2, with fetch-only measured in the same run.
func (b *bencher) unlimited(db string, sizes []int) ([]benchRow, error) {
	var rows []benchRow
	for _, n := range sizes {
		e, err := b.env(db, n, false)
		if err != nil {
			return nil, err
		}
		fetch, err := fetchOnly(b.ctx, e.sbURL, personio.NoLimits())
		if err != nil {
			e.close()
			return nil, err
		}
		before := e.cnt.rows.Load()
		d, err := e.sync(b.ctx, store.ModeFull)
		written := e.cnt.rows.Load() - before
		e.close()
		if err != nil {
			return nil, err
		}
		rows = append(rows, benchRow{Case: "2. Full sync, unlimited", DB: db, Size: n, Figure: secs(d), Limit: "≤ 1.5 × " + secs(fetch) + " (fetch only)",
			Ratio: d.Seconds() / (1.5 * fetch.Seconds()), Note: fmt.Sprintf("%d rows written", written)})
	}
	return rows, nil
}

// fetchOnly fetches and decodes every page with the same client and no
// database work.
func fetchOnly(ctx context.Context, baseURL string, limits personio.Limits) (time.Duration, error) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return 0, err
	}
	c, err := personio.New(personio.Config{BaseURL: baseURL, ClientID: sandbox.FullClientID, ClientSecret: sandbox.FullClientSecret, Limits: limits, Location: loc})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	n := 0
	err = c.ListEmployees(ctx, hris.EmployeeQuery{PageSize: hrsync.PageSize}, func(page []hris.Employee) error {
		n += len(page)
		return nil
	})
	return time.Since(start), err
}

// partialAndSecond: cases 3 and 4.
func (b *bencher) partialAndSecond(db string, n int) ([]benchRow, error) {
	e, err := b.env(db, n, false)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if _, err := e.sync(b.ctx, store.ModeFull); err != nil {
		return nil, err
	}
	var rows []benchRow

	// 4. Second full sync, no changes.
	before := e.cnt.dataRows.Load()
	if _, err := e.sync(b.ctx, store.ModeFull); err != nil {
		return nil, err
	}
	w := e.cnt.dataRows.Load() - before
	rows = append(rows, benchRow{Case: "4. Second full sync, no changes", DB: db, Size: n, Figure: fmt.Sprintf("%d rows", w), Limit: "0 rows", Ratio: float64(w),
		Note: "rows written outside the run's own log"})

	// 3a. Partial sync, no changes.
	e.sb.ResetStats()
	before = e.cnt.dataRows.Load()
	if _, err := e.sync(b.ctx, store.ModePartial); err != nil {
		return nil, err
	}
	w = e.cnt.dataRows.Load() - before
	st := e.sb.Stats()
	req := employeeRequests(st)
	rows = append(rows, benchRow{Case: "3. Partial sync, no changes", DB: db, Size: n, Figure: fmt.Sprintf("%d requests, %d rows", req, w), Limit: "≤ 2 requests, 0 rows",
		Ratio: math.Max(float64(req)/2, float64(w)), Note: "requests: " + endpointSummary(st)})

	// 3b. Partial sync, 1 % changed.
	changed := n / 100
	emps := e.sb.Employees()
	for i := 0; i < changed && i < len(emps); i++ {
		pos := emps[i].Position + " (bench)"
		if _, err := e.sb.Update(emps[i].ID, sandbox.EmployeeInput{Position: &pos}); err != nil {
			return nil, err
		}
	}
	before = e.cnt.dataRows.Load()
	if _, err := e.sync(b.ctx, store.ModePartial); err != nil {
		return nil, err
	}
	w = e.cnt.dataRows.Load() - before
	rows = append(rows, benchRow{Case: "3. Partial sync, 1 % changed", DB: db, Size: n, Figure: fmt.Sprintf("%d rows", w), Limit: fmt.Sprintf("%d rows (changed)", changed),
		Ratio: float64(w) / float64(max(changed, 1)), Note: "employee mirror rows; no users are linked in this case"})
	return rows, nil
}

// memory: case 5.
func (b *bencher) memory(db string, n int) ([]benchRow, error) {
	e, err := b.env(db, n, false)
	if err != nil {
		return nil, err
	}
	defer e.close()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	peak.Store(base)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	_, err = e.sync(b.ctx, store.ModeFull)
	close(stop)
	<-done
	if err != nil {
		return nil, err
	}
	grew := float64(peak.Load()-base) / (1 << 20)
	return []benchRow{{Case: "5. Peak heap during full sync", DB: db, Size: n, Figure: fmt.Sprintf("+%.1f MiB", grew), Limit: "≤ +64 MiB",
		Ratio: grew / 64, Note: fmt.Sprintf("heap before %.1f MiB (includes the in-process sandbox's company)", float64(base)/(1<<20))}}, nil
}

// outbox: case 7. n completed time entries of linked users wait in the
// outbox; the pusher sends them to the rate-limited sandbox.
func (b *bencher) outbox(db string, n int) (benchRow, error) {
	const perUser = 10
	users := (n + perUser - 1) / perUser
	e, err := b.env(db, max(users+50, 200), true)
	if err != nil {
		return benchRow{}, err
	}
	defer e.close()
	time.Sleep(3500 * time.Millisecond) // full buckets after the connection check
	if _, err := e.sync(b.ctx, store.ModeFull); err != nil {
		return benchRow{}, err
	}
	if err := seedLinkedUsers(b.ctx, e, users); err != nil {
		return benchRow{}, err
	}
	var ids []int64
	if err := e.st.DB().Model(&store.User{}).Where("org_id = ? AND personio_id IS NOT NULL", e.actor.OrgID).Order("id").Pluck("id", &ids).Error; err != nil {
		return benchRow{}, err
	}
	now := time.Now().UTC()
	// Days long before the sandbox's own attendance periods (no overlaps).
	day0 := now.AddDate(-3, 0, 0).Truncate(24 * time.Hour)
	err = e.st.Tx(b.ctx, func(tx *store.Store) error {
		made := 0
		for _, uid := range ids {
			for d := 0; d < perUser && made < n; d++ {
				start := day0.AddDate(0, 0, d).Add(8 * time.Hour)
				end := start.Add(8 * time.Hour)
				te := &store.TimeEntry{OrgID: e.actor.OrgID, UserID: uid, Day: start.Format(time.DateOnly), StartAt: start, EndAt: &end,
					Status: store.TimeCompleted, CreatedAt: now, UpdatedAt: now}
				if err := tx.InsertTimeEntry(b.ctx, te); err != nil {
					return err
				}
				if err := outbox.Enqueue(b.ctx, tx, e.actor.OrgID, store.OutboxTimeEntry, te.ID, store.OutboxCreate, now); err != nil {
					return err
				}
				made++
			}
		}
		if made < n {
			return fmt.Errorf("only %d of %d entries made", made, n)
		}
		return nil
	})
	if err != nil {
		return benchRow{}, err
	}
	time.Sleep(3500 * time.Millisecond) // full buckets again
	e.sb.ResetStats()
	start := time.Now()
	var res outbox.Result
	for res.Pushed+res.Failed < n {
		r, err := e.svc.outbox.PushDue(b.ctx, e.actor.OrgID, store.OutboxTimeEntry)
		if err != nil {
			return benchRow{}, err
		}
		if r == (outbox.Result{}) {
			break // nothing due: the rest waits for a retry
		}
		res.Pushed, res.Retrying, res.Failed = res.Pushed+r.Pushed, res.Retrying+r.Retrying, res.Failed+r.Failed
	}
	d := time.Since(start)
	st := e.sb.Stats()
	var lastErrs []string
	if res.Failed > 0 || res.Retrying > 0 {
		_ = e.st.DB().Model(&store.OutboxItem{}).Where("org_id = ? AND last_error <> ''", e.actor.OrgID).Distinct("last_error").Limit(3).Pluck("last_error", &lastErrs).Error
	}
	rate, burst := 5.0, 15.0
	for _, l := range e.sb.RateLimits() {
		if l.Name == "v2-attendance-periods" {
			rate, burst = l.RefillPerSecond, float64(l.Capacity)
		}
	}
	got := float64(res.Pushed) / d.Seconds()
	floor := math.Max(0, float64(st.Total)-burst) / rate
	return benchRow{Case: "7. Outbox push of time entries", DB: db, Size: n, Figure: fmt.Sprintf("%.2f pushes/s (%s)", got, secs(d)),
		Limit: fmt.Sprintf("≥ %.2f/s (limit %.0f/s ÷ 1.2)", rate/1.2, rate), Ratio: (rate / 1.2) / got,
		Note: fmt.Sprintf("%d pushed, %d retrying, %d failed%s; %d requests, %d answered 429; the limit's own floor for them %.0f s",
			res.Pushed, res.Retrying, res.Failed, strings.Join(append([]string{""}, lastErrs...), " — "), st.Total, st.RateLimited, floor)}, nil
}

// pageAlone is how many requests of each page the pages case sends one at
// a time (after the one whose queries it counts) for the p50 of a request
// alone.
const pageAlone = 21

// pages: case 6.
func (b *bencher) pages(db string, employees, users, perClient int) ([]benchRow, error) {
	e, err := b.env(db, employees, false)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if _, err := e.sync(b.ctx, store.ModeFull); err != nil {
		return nil, err
	}
	if err := seedLinkedUsers(b.ctx, e, users); err != nil {
		return nil, err
	}
	deps := e.svc.webDeps(e.st)
	deps.BaseURL, deps.Logger, deps.SecretKey = "http://127.0.0.1", b.log, make([]byte, 32)
	_, _ = rand.Read(deps.SecretKey)
	srv, err := web.New(deps)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer func() { _ = hs.Close() }()
	base := "http://" + ln.Addr().String()
	cookie, err := benchLogin(base, e.email)
	if err != nil {
		return nil, err
	}
	// Filters that match rows: the first employee's team and cost center.
	var team, cc string
	for _, emp := range e.sb.Employees() {
		if emp.Team != "" && len(emp.CostCenters) > 0 {
			team, cc = emp.Team, emp.CostCenters[0].Name
			break
		}
	}
	pages := []struct{ name, path string }{
		{"/healthz", "/healthz"},
		{"Users (search + filter)", "/users?q=a&status=active"},
		{"HR employees", "/settings/hr/employees"},
		{"Invite via HR (team + cost center)", "/users/invite-hr?team=" + url.QueryEscape(team) + "&cost_center=" + url.QueryEscape(cc)},
		{"Map teams", "/settings/hr/teams"},
		{"API log", "/settings/hr/api-log"},
		{"Org chart, first level", "/org"},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (time.Duration, int, error) {
		req, _ := http.NewRequestWithContext(b.ctx, http.MethodGet, base+path, nil)
		req.Header.Set("Cookie", cookie)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return time.Since(start), res.StatusCode, nil
	}
	var rows []benchRow
	var healthP95 time.Duration
	for _, p := range pages {
		// Queries of one request, alone.
		q0 := e.cnt.queries.Load()
		if _, status, err := get(p.path); err != nil || status != http.StatusOK {
			if err == nil {
				err = fmt.Errorf("status %d", status)
			}
			rows = append(rows, benchRow{Case: "6. Page " + p.name, DB: db, Size: employees, Figure: "not measured", Limit: "≤ 50 ms p95", Note: "GET " + p.path + ": " + err.Error()})
			continue
		}
		queries := e.cnt.queries.Load() - q0
		// One request at a time: what a request costs without queueing.
		alone := make([]time.Duration, 0, pageAlone)
		for range pageAlone {
			d, status, err := get(p.path)
			if err != nil || status != http.StatusOK {
				return nil, fmt.Errorf("GET %s alone: status %d, %v", p.path, status, err)
			}
			alone = append(alone, d)
		}
		slices.Sort(alone)
		aloneP50 := alone[len(alone)/2]
		clients := b.clients
		lat := make([]time.Duration, 0, clients*perClient)
		var mu sync.Mutex
		var wg sync.WaitGroup
		var firstErr error
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perClient; i++ {
					d, status, err := get(p.path)
					mu.Lock()
					if err == nil && status != http.StatusOK {
						err = fmt.Errorf("status %d", status)
					}
					if err != nil && firstErr == nil {
						firstErr = err
					}
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return nil, fmt.Errorf("GET %s: %w", p.path, firstErr)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p95 := lat[int(math.Ceil(0.95*float64(len(lat))))-1]
		if p.path == "/healthz" {
			healthP95 = p95
			rows = append(rows, benchRow{Case: "6. Page /healthz (reference)", DB: db, Size: employees, Figure: fmt.Sprintf("%.1f ms p95", ms(p95)), Limit: "-",
				Note: fmt.Sprintf("%d clients × %d requests; alone %.1f ms p50", clients, perClient, ms(aloneP50))})
			continue
		}
		limit := 50 * time.Millisecond
		ratio := math.Max(ms(p95)/ms(limit), ms(p95)/(5*ms(healthP95)))
		rows = append(rows, benchRow{Case: "6. Page " + p.name, DB: db, Size: employees, Figure: fmt.Sprintf("%.1f ms p95, %d queries", ms(p95), queries),
			Limit: fmt.Sprintf("≤ 50 ms and ≤ 5 × %.1f ms", ms(healthP95)), Ratio: ratio, Note: fmt.Sprintf("%d users; %d clients × %d requests; alone %.1f ms p50", users, clients, perClient, ms(aloneP50))})
	}
	return rows, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// seedLinkedUsers inserts n active users linked to the first n employees.
func seedLinkedUsers(ctx context.Context, e *benchEnv, n int) error {
	emps := e.sb.Employees()
	now := time.Now().UTC()
	var us []store.User
	for i := 0; i < len(emps) && len(us) < n; i++ {
		emp := emps[i]
		if emp.Email == "" || strings.EqualFold(emp.Email, e.email) {
			continue
		}
		pid := int64(emp.ID)
		us = append(us, store.User{OrgID: e.actor.OrgID, Email: strings.ToLower(emp.Email), Name: emp.FirstName + " " + emp.LastName, Role: store.RoleMember,
			Status: store.StatusActive, JobTitle: emp.Position, PersonioID: &pid, CreatedAt: now, UpdatedAt: now})
	}
	if err := e.st.DB().WithContext(ctx).CreateInBatches(us, 500).Error; err != nil {
		return err
	}
	if e.st.Dialect() == store.Postgres {
		// What autovacuum does within a minute of a bulk insert: without
		// statistics the planner takes 2,000 users for a handful, and
		// without a visibility map no count is answered from an index.
		return e.st.DB().WithContext(ctx).Exec("VACUUM ANALYZE users, hr_employees").Error
	}
	return nil
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// benchLogin logs the owner in through the login form and returns the
// session cookie header.
func benchLogin(base, email string) (string, error) {
	jar := &cookieJar{}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		return "", errors.New("login form without CSRF token")
	}
	res, err = c.PostForm(base+"/login", url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {benchPassword}})
	if err != nil {
		return "", err
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("login answered %d", res.StatusCode)
	}
	return jar.header(), nil
}

// cookieJar keeps the cookies of one host (the bench server).
type cookieJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cookies == nil {
		j.cookies = map[string]*http.Cookie{}
	}
	for _, c := range cs {
		j.cookies[c.Name] = c
	}
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.cookies {
		out = append(out, c)
	}
	return out
}

func (j *cookieJar) header() string {
	var parts []string
	for _, c := range j.Cookies(nil) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}
