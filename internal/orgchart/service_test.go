package orgchart_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/orgchart"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestSearchByEmailAndTitleAndIssue(t *testing.T) {
	boss := int64(99)
	tr := orgchart.Build([]orgchart.Person{
		{ID: 1, Name: "Ceo", Email: "ceo@x.test", Title: "Chief"},
		{ID: 2, Name: "Bea", Email: "bea@x.test", Title: "Platform Engineer", ManagerID: ptr(1)},
		{ID: 3, Name: "Al", Email: "al.smith@x.test", Title: "Sales", ManagerID: &boss},
	}, nil)
	if got := tr.Search("SMITH@", 5); !slices.Equal(got, []int64{3}) {
		t.Fatalf("search by email %v", got)
	}
	if got := tr.Search("platform", 5); !slices.Equal(got, []int64{2}) {
		t.Fatalf("search by title %v", got)
	}
	if got := tr.Search("  ", 5); got != nil {
		t.Fatalf("blank search %v", got)
	}
	if a, ok := tr.Issue(3); !ok || a.Kind != orgchart.KindMissingManager {
		t.Fatalf("issue of 3: %+v %v", a, ok)
	}
	if _, ok := tr.Issue(1); ok {
		t.Fatal("a natural root has an issue")
	}
}

func ptr(n int64) *int64 { return &n }

type org struct {
	st  *store.Store
	id  int64
	ids map[string]int64
}

func (o *org) add(t *testing.T, key, name, status string, manager string) int64 {
	t.Helper()
	u := &store.User{OrgID: o.id, Name: name, Email: key + "@x.test", Role: store.RoleMember, Status: status, JobTitle: "Engineer"}
	if m, ok := o.ids[manager]; ok {
		u.ManagerID = &m
	}
	if err := o.st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	o.ids[key] = u.ID
	return u.ID
}

func newOrg(t *testing.T, st *store.Store, slug string) *org {
	t.Helper()
	o := &store.Organization{Slug: slug, Name: slug, TimeZone: "UTC"}
	if err := st.CreateOrganization(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return &org{st: st, id: o.ID, ids: map[string]int64{}}
}

func TestOverviewOnData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st, "acme")
		other := newOrg(t, st, "globex")
		other.add(t, "ext", "External Boss", store.StatusActive, "")
		o.add(t, "ceo", "Ceo", store.StatusActive, "")
		o.add(t, "vp", "Vera Vp", store.StatusActive, "ceo")
		o.add(t, "dev", "Dev Deep", store.StatusActive, "vp")
		o.add(t, "root2", "Second Root", store.StatusInvited, "")
		o.add(t, "gone", "Gone Boss", store.StatusDeactivated, "")
		o.add(t, "orphan", "Orphan", store.StatusActive, "gone")
		o.add(t, "a", "Loop A", store.StatusActive, "")
		o.add(t, "b", "Loop B", store.StatusActive, "a")
		if err := st.UpdateUserFields(ctx, o.id, o.ids["a"], map[string]any{"manager_id": o.ids["b"]}); err != nil {
			t.Fatal(err)
		}
		// A manager in another organisation is, here, a missing one.
		lost := o.add(t, "lost", "Lost", store.StatusActive, "")
		if err := st.UpdateUserFields(ctx, o.id, lost, map[string]any{"manager_id": other.ids["ext"]}); err != nil {
			t.Fatal(err)
		}
		s := orgchart.New(orgchart.Options{Store: st})
		a := roster.Actor{OrgID: o.id, UserID: o.ids["dev"], Role: store.RoleMember}
		ov, err := s.Overview(ctx, a, 0, orgchart.RootsPage)
		if err != nil {
			t.Fatal(err)
		}
		var roots []string
		for _, n := range ov.Roots {
			roots = append(roots, n.Name)
		}
		if want := []string{"Ceo", "Loop A", "Lost", "Orphan", "Second Root"}; !slices.Equal(roots, want) {
			t.Fatalf("roots %v, want %v", roots, want)
		}
		kinds := map[string]orgchart.AnomalyView{}
		for _, an := range ov.Anomalies {
			kinds[an.Kind] = an
		}
		if c := kinds[orgchart.KindCycle]; len(c.People) != 2 || c.People[0].Name != "Loop A" {
			t.Fatalf("cycle %+v", c)
		}
		if d := kinds[orgchart.KindDeactivatedManager]; d.Manager.Name != "Gone Boss" || d.People[0].Name != "Orphan" {
			t.Fatalf("deactivated manager %+v", d)
		}
		if m := kinds[orgchart.KindMissingManager]; m.People[0].Name != "Lost" || m.Manager.Name != "" {
			t.Fatalf("missing manager %+v (another org's name must not show)", m)
		}
		if r := kinds[orgchart.KindSeveralRoots]; len(r.People) != 2 {
			t.Fatalf("several roots %+v", r)
		}
		// Opened on Dev: the path, with Ceo and Vera open and Dev highlighted.
		ov, err = s.Overview(ctx, a, o.ids["dev"], orgchart.RootsPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(ov.Path) != 3 || ov.Path[2].Name != "Dev Deep" {
			t.Fatalf("path %+v", ov.Path)
		}
		ceo := ov.Roots[0]
		if !ceo.Open || len(ceo.Children) != 1 || !ceo.Children[0].Open || !ceo.Children[0].Children[0].Highlight {
			t.Fatalf("path not opened: %+v", ceo)
		}
		if _, err := s.Overview(ctx, a, other.ids["ext"], orgchart.RootsPage); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("focus on another org's user: %v", err)
		}
		if _, err := s.Reports(ctx, a, o.ids["gone"]); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("reports of a deactivated user: %v", err)
		}
		// Profiles: the chain above sees everything, a colleague the card.
		p, err := s.Profile(ctx, roster.Actor{OrgID: o.id, UserID: o.ids["ceo"], Role: store.RoleMember}, o.ids["dev"])
		if err != nil || !p.Full {
			t.Fatalf("the CEO's view of Dev: %+v %v", p, err)
		}
		p, err = s.Profile(ctx, roster.Actor{OrgID: o.id, UserID: o.ids["orphan"], Role: store.RoleMember}, o.ids["dev"])
		if err != nil || p.Full || p.Status != "" || p.Manager == nil || p.Manager.Name != "Vera Vp" {
			t.Fatalf("a colleague's view of Dev: %+v %v", p, err)
		}
		// A loop does not make the walk up the chain hang, nor grant rights.
		p, err = s.Profile(ctx, roster.Actor{OrgID: o.id, UserID: o.ids["ceo"], Role: store.RoleMember}, o.ids["a"])
		if err != nil || p.Full {
			t.Fatalf("CEO's view of a loop member: %+v %v", p, err)
		}
		if _, err := s.Profile(ctx, a, other.ids["ext"]); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("another org's profile: %v", err)
		}
	})
}

// fakeSource is the HR client: it counts calls and answers what it is told.
type fakeSource struct {
	calls atomic.Int32
	pic   hris.Picture
	err   error
}

func (f *fakeSource) ProfilePicture(_ context.Context, id int64, width int) (hris.Picture, error) {
	f.calls.Add(1)
	return f.pic, f.err
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPictureThroughHRClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st, "acme")
		id := o.add(t, "pia", "Pia", store.StatusActive, "")
		if err := st.UpdateUserFields(ctx, o.id, id, map[string]any{"personio_id": int64(7), "picture_url": "https://api.personio.de/v1/company/employees/7/profile-picture"}); err != nil {
			t.Fatal(err)
		}
		src := &fakeSource{pic: hris.Picture{ContentType: "image/png", Data: pngBytes(t)}}
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		s := orgchart.New(orgchart.Options{Store: st, Now: func() time.Time { return now },
			Pictures: func(context.Context, int64) (orgchart.PictureSource, error) { return src, nil }})
		a := roster.Actor{OrgID: o.id, UserID: id, Role: store.RoleMember}
		for range 2 {
			p, err := s.Picture(ctx, a, id)
			if err != nil || p.ContentType != "image/png" {
				t.Fatalf("picture: %v", err)
			}
		}
		if src.calls.Load() != 1 {
			t.Fatalf("HR client called %d times", src.calls.Load())
		}
		// A day later it is asked again; a transient failure keeps the old one.
		now = now.Add(25 * time.Hour)
		src.err = errors.New("HR system down")
		if p, err := s.Picture(ctx, a, id); err != nil || len(p.Data) == 0 {
			t.Fatalf("stale picture not kept on a failed refresh: %v", err)
		}
		// Removed in Personio: gone, and remembered for a day.
		src.err = hris.ErrNotFound
		if _, err := s.Picture(ctx, a, id); !errors.Is(err, roster.ErrNotFound) {
			t.Fatalf("removed picture: %v", err)
		}
		calls := src.calls.Load()
		if _, err := s.Picture(ctx, a, id); !errors.Is(err, roster.ErrNotFound) || src.calls.Load() != calls {
			t.Fatalf("no-picture not remembered: %v, %d calls", err, src.calls.Load())
		}
		// Refused: SVG (can carry scripts), too large, a lying content type.
		for name, pic := range map[string]hris.Picture{
			"svg":   {ContentType: "image/svg+xml", Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
			"large": {ContentType: "image/png", Data: append(pngBytes(t), make([]byte, orgchart.MaxPictureBytes)...)},
			"lying": {ContentType: "image/png", Data: []byte(strings.Repeat("<html>", 10))},
		} {
			now = now.Add(25 * time.Hour)
			src.err, src.pic = nil, pic
			if _, err := s.Picture(ctx, a, id); !errors.Is(err, roster.ErrNotFound) {
				t.Fatalf("%s picture accepted: %v", name, err)
			}
		}
	})
}
