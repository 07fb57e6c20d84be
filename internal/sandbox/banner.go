package sandbox

import (
	"fmt"
	"strings"
)

// Banner describes a running sandbox for humans: base URL, credentials,
// the bank-detail attribute keys for Roster's settings and the rate limits.
// It contains the sandbox's (public, fixed) demo credentials.
func (s *Server) Banner(baseURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Personio sandbox listening on %s\n", baseURL)
	fmt.Fprintf(&b, "  base URL (api.personio.de): %s   v1: %s/v1   v2: %s/v2\n", baseURL, baseURL, baseURL)
	fmt.Fprintf(&b, "  demo company: %d employees, seed %d\n", s.EmployeeCount(), s.opts.Seed)
	fmt.Fprintf(&b, "  credentials (full access):  client_id=%s client_secret=%s\n", FullClientID, FullClientSecret)
	fmt.Fprintf(&b, "  credentials (restricted):   client_id=%s client_secret=%s (no %s)\n",
		RestrictedClientID, RestrictedClientSecret, strings.Join(RestrictedAttributes(), ", "))
	fmt.Fprintf(&b, "  bank detail attributes:     IBAN=%s BIC=%s account holder=%s\n", IBANAttribute, BICAttribute, AccountHolderAttribute)
	if limits := s.RateLimits(); len(limits) > 0 {
		b.WriteString("  rate limits:")
		for _, l := range limits {
			if l.Kind == "token_bucket" {
				fmt.Fprintf(&b, " %s=bucket %d @ %g/s;", l.Name, l.Capacity, l.RefillPerSecond)
			} else {
				fmt.Fprintf(&b, " %s=%d per %s;", l.Name, l.Capacity, l.Window)
			}
		}
		b.WriteString("\n")
	} else {
		b.WriteString("  rate limits: off\n")
	}
	if s.opts.LegacyTokens {
		b.WriteString("  tokens: legacy single-use rotation\n")
	}
	fmt.Fprintf(&b, "  control API: %s/sandbox (see internal/sandbox/README.md)\n", baseURL)
	return b.String()
}
