package store

import (
	"context"
	"fmt"
)

// CountOrganizations returns how many organisations exist (0 means first run).
func (s *Store) CountOrganizations(ctx context.Context) (int64, error) {
	var n int64
	err := s.ctx(ctx).Model(&Organization{}).Count(&n).Error
	return n, err
}

// CreateOrganization inserts an organisation; a taken slug is ErrConflict.
func (s *Store) CreateOrganization(ctx context.Context, o *Organization) error {
	if err := s.ctx(ctx).Create(o).Error; err != nil {
		if isUnique(err) {
			return fmt.Errorf("organisation slug %q: %w", o.Slug, ErrConflict)
		}
		return err
	}
	return nil
}

// Organization loads an organisation by id.
func (s *Store) Organization(ctx context.Context, id int64) (*Organization, error) {
	var o Organization
	err := s.ctx(ctx).First(&o, "id = ?", id).Error
	return &o, notFound(err)
}

// OrganizationBySlug loads an organisation by slug.
func (s *Store) OrganizationBySlug(ctx context.Context, slug string) (*Organization, error) {
	var o Organization
	err := s.ctx(ctx).First(&o, "slug = ?", slug).Error
	return &o, notFound(err)
}

// SlugTaken reports whether an organisation already uses slug.
func (s *Store) SlugTaken(ctx context.Context, slug string) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&Organization{}).Where("slug = ?", slug).Count(&n).Error
	return n > 0, err
}

// UpdateOrganization saves name and time zone.
func (s *Store) UpdateOrganization(ctx context.Context, o *Organization) error {
	return s.ctx(ctx).Model(&Organization{}).Where("id = ?", o.ID).
		Updates(map[string]any{"name": o.Name, "time_zone": o.TimeZone, "updated_at": s.db.NowFunc()}).Error
}
