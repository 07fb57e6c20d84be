package hrsync_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/personio"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestZZPerf(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			st := storetest.Open(t, d)
			opts := sandbox.DefaultOptions()
			opts.Employees, opts.RateLimit = 50000, false
			sb := sandbox.New(opts)
			url, err := sb.Start(t.Context(), "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			org := &store.Organization{Slug: "acme", Name: "Acme", TimeZone: "Europe/Berlin"}
			_ = st.CreateOrganization(t.Context(), org)
			e := &env{t: t, st: st, sb: sb, baseURL: url, orgID: org.ID}
			f := e.personio(sandbox.FullClientID, sandbox.FullClientSecret)
			// fetch only
			p, _ := f(t.Context(), org.ID, func(hris.CallInfo) {})
			start := time.Now()
			n := 0
			_ = p.ListEmployees(context.Background(), hris.EmployeeQuery{PageSize: 100}, func(pg []hris.Employee) error { n += len(pg); return nil })
			fetch := time.Since(start)
			_ = personio.DefaultBaseURL
			svc := e.service(f, "")
			var peak atomic.Uint64
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			stop := make(chan struct{})
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					if m.HeapAlloc > peak.Load() {
						peak.Store(m.HeapAlloc)
					}
				}
			}()
			start = time.Now()
			r := e.sync(svc, store.ModeFull)
			full := time.Since(start)
			start = time.Now()
			r2 := e.sync(svc, store.ModeFull)
			full2 := time.Since(start)
			close(stop)
			t.Logf("fetched %d in %v; first full %v (new %d, written %d), second %v (written %d); peak heap +%d MiB",
				n, fetch, full, r.NewCount, r.RowsWritten, full2, r2.RowsWritten, (int64(peak.Load())-int64(base))>>20)
		})
	}
}
