package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// Connection states.
const (
	ConnConnected    = "connected"
	ConnDisconnected = "disconnected"
)

// HRConnection is an organisation's link to its HR system. The client secret
// is stored only encrypted (secrets.Box) with its last 4 characters for display.
type HRConnection struct {
	ID                 int64 `gorm:"primaryKey"`
	OrgID              int64
	Provider           string
	BaseURL            string
	ClientID           string
	ClientSecretEnc    string
	SecretLast4        string
	PartnerID          string
	AppID              string
	ReadableAttributes string // JSON list of attribute keys
	Status             string
	ConnectedByID      *int64
	ConnectedAt        *time.Time
	CheckedAt          *time.Time
	DisconnectedAt     *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// SyncSettings are an organisation's HR sync settings (PRODUCT.md section 2).
// List filters are JSON arrays of strings; empty means no filter.
type SyncSettings struct {
	OrgID                 int64 `gorm:"primaryKey;autoIncrement:false"`
	BackgroundSync        bool
	FullSyncTime          string // HH:MM in the organisation's time zone
	PartialIntervalHours  int
	LookbackHours         int
	FilterSubcompanies    string
	FilterStatuses        string
	FilterOffices         string
	FilterEmploymentTypes string
	TeamSource            string // team or department
	NewHires              string // notify or invite
	AccessFromHireDate    bool
	InviteDaysAhead       int
	LockOnLastDay         bool
	GraceDays             int
	SafeguardPercent      int
	SafeguardMax          int
	AbsencesLeading       string // personio, roster or off
	AbsencesOnlyApproved  bool
	TimePush              bool
	TimeOnlyConfirmed     bool
	BankImport            bool
	IBANAttribute         string `gorm:"column:iban_attribute"`
	BICAttribute          string `gorm:"column:bic_attribute"`
	HolderAttribute       string
	UpdatedAt             time.Time
}

// DefaultSyncSettings are the product defaults.
func DefaultSyncSettings(orgID int64) SyncSettings {
	return SyncSettings{OrgID: orgID, BackgroundSync: true, FullSyncTime: "06:30", PartialIntervalHours: 2, LookbackHours: 4,
		FilterSubcompanies: "[]", FilterStatuses: "[]", FilterOffices: "[]", FilterEmploymentTypes: "[]",
		TeamSource: "team", NewHires: "notify", SafeguardPercent: 10, SafeguardMax: 20, AbsencesLeading: "off",
		AbsencesOnlyApproved: true, TimeOnlyConfirmed: true}
}

// HRConnection loads the organisation's connection (any status).
func (s *Store) HRConnection(ctx context.Context, orgID int64) (*HRConnection, error) {
	var c HRConnection
	err := s.ctx(ctx).First(&c, "org_id = ?", orgID).Error
	return &c, notFound(err)
}

// SaveHRConnection inserts or replaces the organisation's connection.
func (s *Store) SaveHRConnection(ctx context.Context, c *HRConnection) error {
	return s.ctx(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "org_id"}}, UpdateAll: true}).Create(c).Error
}

// ConnectedOrgIDs lists organisations with a live HR connection (scheduler).
func (s *Store) ConnectedOrgIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.ctx(ctx).Model(&HRConnection{}).Where("status = ?", ConnConnected).Order("org_id").Pluck("org_id", &ids).Error
	return ids, err
}

// SyncSettings loads the organisation's settings, or the defaults.
func (s *Store) SyncSettings(ctx context.Context, orgID int64) (*SyncSettings, error) {
	var st SyncSettings
	err := s.ctx(ctx).First(&st, "org_id = ?", orgID).Error
	if err != nil {
		if err = notFound(err); err == ErrNotFound {
			d := DefaultSyncSettings(orgID)
			return &d, nil
		}
		return nil, err
	}
	return &st, nil
}

// SaveSyncSettings inserts or replaces the organisation's settings.
func (s *Store) SaveSyncSettings(ctx context.Context, st *SyncSettings) error {
	st.UpdatedAt = s.db.NowFunc()
	return s.ctx(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "org_id"}}, UpdateAll: true}).Create(st).Error
}

// HasSyncSettings reports whether the organisation saved its settings.
func (s *Store) HasSyncSettings(ctx context.Context, orgID int64) (bool, error) {
	var n int64
	err := s.ctx(ctx).Model(&SyncSettings{}).Where("org_id = ?", orgID).Count(&n).Error
	return n > 0, err
}
