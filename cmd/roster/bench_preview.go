package main

import (
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/hrsync"
	"github.com/rosterhq/roster/internal/store"
)

// previewBench measures what a preview costs next to the sync it previews
// (no target in the issue: it tells an admin what "Preview" costs, and how
// long the compute step holds its transaction). On one company of n
// employees (limits off): the first import as a normal full sync on one
// database; on a second, the same first import as a preview, then its
// apply; then a preview with nothing to change.
func (b *bencher) previewBench(db string, n int) ([]benchRow, error) {
	plain, err := b.env(db, n, false)
	if err != nil {
		return nil, err
	}
	base, err := plain.sync(b.ctx, store.ModeFull)
	if err != nil {
		plain.close()
		return nil, err
	}
	second, err := plain.sync(b.ctx, store.ModeFull)
	plain.close()
	if err != nil {
		return nil, err
	}

	e, err := b.env(db, n, false)
	if err != nil {
		return nil, err
	}
	defer e.close()
	run := func(req hrsync.Request) (*store.SyncRun, time.Duration, error) {
		start := time.Now()
		r, started, err := e.svc.syncer.Run(b.ctx, e.actor.OrgID, req)
		d := time.Since(start)
		if err == nil && !started {
			err = fmt.Errorf("not started")
		}
		return r, d, err
	}
	r, dPreview, err := run(hrsync.Request{Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerCLI, Preview: true})
	if err != nil {
		return nil, err
	}
	pv, err := e.svc.syncer.PreviewOfRun(b.ctx, e.actor.OrgID, r.ID)
	if err != nil {
		return nil, err
	}
	before := e.cnt.dataRows.Load()
	_, dApply, err := run(hrsync.Request{ApplyPreview: pv.ID, StartedBy: nil})
	if err != nil {
		return nil, err
	}
	written := e.cnt.dataRows.Load() - before
	r2, dEmpty, err := run(hrsync.Request{Area: store.AreaEmployees, Mode: store.ModeFull, Trigger: store.TriggerCLI, Preview: true})
	if err != nil {
		return nil, err
	}
	pv2, err := e.svc.syncer.PreviewOfRun(b.ctx, e.actor.OrgID, r2.ID)
	if err != nil {
		return nil, err
	}
	return []benchRow{
		{Case: "8. Preview of the first import", DB: db, Size: n, Figure: secs(dPreview), Limit: "",
			Note: fmt.Sprintf("no target; %d changes listed; the same first import as a plain full sync took %s (%.1f ×)", pv.Total(), secs(base), dPreview.Seconds()/base.Seconds())},
		{Case: "8. Apply of that preview", DB: db, Size: n, Figure: secs(dApply), Limit: "",
			Note: fmt.Sprintf("no target; refetch and fingerprint, then the stored records in one transaction (%.1f × the plain sync); %d rows written or deleted (mirror rows, and the preview's stored records dropped)", dApply.Seconds()/base.Seconds(), written)},
		{Case: "8. Preview with nothing to change", DB: db, Size: n, Figure: secs(dEmpty), Limit: "",
			Note: fmt.Sprintf("no target; %d changes listed; a plain second full sync took %s", pv2.Total(), secs(second))},
	}, nil
}
