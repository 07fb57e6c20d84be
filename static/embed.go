// Package static embeds Roster's served assets: the app's CSS and JS and the
// vendored npm packages (Bulma, htmx) that `make assets` copies into vendor/.
package static

import "embed"

// FS is served under /static/.
//
//go:embed css js img vendor
var FS embed.FS
