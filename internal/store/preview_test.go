package store_test

import (
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestPreviewsSupersedeAndPrune: a newer ready preview discards the older
// ready ones of its organisation only (dropping their stored records), and
// pruning removes previews older than the cutoff with their items and
// records.
func TestPreviewsSupersedeAndPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
		var orgs []int64
		for _, slug := range []string{"acme", "beta"} {
			o := &store.Organization{Slug: slug, Name: slug, TimeZone: "UTC", CreatedAt: now, UpdatedAt: now}
			if err := st.CreateOrganization(ctx, o); err != nil {
				t.Fatal(err)
			}
			orgs = append(orgs, o.ID)
		}
		mk := func(orgID int64, at time.Time) *store.SyncPreview {
			t.Helper()
			p := &store.SyncPreview{OrgID: orgID, RunID: 1, Area: store.AreaEmployees, Mode: store.ModeFull, Status: store.PreviewReady, CreatedAt: at}
			if err := st.CreateSyncPreview(ctx, p); err != nil {
				t.Fatal(err)
			}
			if err := st.AddSyncPreviewRecords(ctx, []store.SyncPreviewRecord{{PreviewID: p.ID, PersonioID: 1, OrgID: orgID, Payload: "{}"}}); err != nil {
				t.Fatal(err)
			}
			if err := st.ReplaceSyncPreviewItems(ctx, orgID, p.ID, []store.SyncPreviewItem{{Kind: store.PreviewEmployeeNew, Name: "E"}}); err != nil {
				t.Fatal(err)
			}
			return p
		}
		records := func(orgID, id int64) int {
			n := 0
			if err := st.EachSyncPreviewRecord(ctx, orgID, id, 10, func(rs []store.SyncPreviewRecord) error { n += len(rs); return nil }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		old := mk(orgs[0], now.AddDate(0, -3, 0))
		other := mk(orgs[1], now.AddDate(0, -3, 0))
		newer := mk(orgs[0], now)
		n, err := st.SupersedeSyncPreviews(ctx, orgs[0], newer.ID, now)
		if err != nil || n != 1 {
			t.Fatalf("superseded %d, %v", n, err)
		}
		if p, _ := st.SyncPreview(ctx, orgs[0], old.ID); p.Status != store.PreviewDiscarded || records(orgs[0], old.ID) != 0 {
			t.Fatalf("older preview: %s, %d records", p.Status, records(orgs[0], old.ID))
		}
		if p, _ := st.SyncPreview(ctx, orgs[1], other.ID); p.Status != store.PreviewReady || records(orgs[1], other.ID) != 1 {
			t.Fatalf("another organisation's preview was touched: %s", p.Status)
		}
		if p, _ := st.PendingSyncPreview(ctx, orgs[0]); p == nil || p.ID != newer.ID {
			t.Fatalf("pending preview %+v", p)
		}

		pruned, err := st.PrunePreviews(ctx, now.AddDate(0, -2, 0))
		if err != nil || pruned != 2 {
			t.Fatalf("pruned %d, %v", pruned, err)
		}
		for _, p := range []*store.SyncPreview{old, other} {
			if _, err := st.SyncPreview(ctx, p.OrgID, p.ID); err == nil {
				t.Fatalf("preview %d survived the prune", p.ID)
			}
			if items, _ := st.AllSyncPreviewItems(ctx, p.OrgID, p.ID); len(items) != 0 || records(p.OrgID, p.ID) != 0 {
				t.Fatalf("items or records of preview %d survived", p.ID)
			}
		}
		if items, _ := st.AllSyncPreviewItems(ctx, orgs[0], newer.ID); len(items) != 1 || records(orgs[0], newer.ID) != 1 {
			t.Fatal("the recent preview was pruned")
		}
	})
}
