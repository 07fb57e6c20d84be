package main

import (
	"context"

	"github.com/rosterhq/roster/internal/hrconnect"
	"github.com/rosterhq/roster/internal/orgchart"
)

// orgPictures lets the org chart fetch profile pictures with the
// organisation's Personio client (the picture URL is an authenticated API
// URL).
func orgPictures(hr *hrconnect.Service) func(ctx context.Context, orgID int64) (orgchart.PictureSource, error) {
	return func(ctx context.Context, orgID int64) (orgchart.PictureSource, error) {
		return hr.Provider(ctx, orgID, nil)
	}
}
