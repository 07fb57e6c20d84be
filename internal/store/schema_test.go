package store_test

import (
	"sync"
	"testing"

	"gorm.io/gorm/schema"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestMigratedSchemaHoldsEveryModelColumn proves both dialects' goose
// migrations create every column of every GORM model.
func TestMigratedSchemaHoldsEveryModelColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := s.DB().Migrator()
		for _, model := range store.AllModels() {
			sch, err := schema.Parse(model, &sync.Map{}, s.DB().NamingStrategy)
			if err != nil {
				t.Fatal(err)
			}
			if !m.HasTable(sch.Table) {
				t.Errorf("table %s missing", sch.Table)
				continue
			}
			for _, f := range sch.Fields {
				if f.DBName == "" {
					continue
				}
				if !m.HasColumn(model, f.DBName) {
					t.Errorf("%s.%s missing in the %s schema", sch.Table, f.DBName, s.Dialect())
				}
			}
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		v1, err := s.Migrate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		v2, err := s.Migrate(t.Context())
		if err != nil || v1 != v2 || v1 < 1 {
			t.Fatalf("second migrate: v%d → v%d, %v", v1, v2, err)
		}
	})
}
