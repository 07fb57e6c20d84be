// Package sandbox implements a Personio-compatible API server with a
// generated, deterministic demo company.
//
// The sandbox root corresponds to https://api.personio.de: it serves the v1
// Personnel Data API under /v1, the v2 OAuth2 token endpoint and attendance
// periods under /v2, a control API under /sandbox and a health check at
// /healthz. It reproduces Personio's wire format and quirks as documented in
// ../shared/personio-api/NOTES.md (envelopes, per-endpoint pagination rules,
// error bodies, token behaviour, attribute whitelists, rate limits) and can
// inject faults (429, 5xx, latency, hangs, connection resets, malformed
// bodies).
//
// The package deliberately does not import the Personio client: it declares
// its own wire types, so a mistake in one of them cannot hide the same mistake
// in the other. The sandboxtest package validates every response against
// Personio's OpenAPI documents.
//
// Behaviour that NOTES.md marks as inferred ([inf]) is marked the same way in
// comments here.
package sandbox
