// Package bank holds the reimbursement details use cases (PRODUCT.md
// section 11): IBAN and BIC validation and masking, the import from the HR
// system after each employee sync (stored encrypted), their display to the
// employee and admins, and the audited CSV export.
package bank

import (
	"fmt"
	"strings"
)

// ibanLengths is the length of the IBAN of each country of the SWIFT IBAN
// registry (release 99, 2025), by ISO 3166 country code.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
	"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// NormalizeIBAN removes spaces (and other blanks) and dashes and upper-cases.
func NormalizeIBAN(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '-' || r == '\u00a0' || r == '\r' || r == '\n':
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ValidateIBAN checks a normalised IBAN: letters and digits only, a known
// country, the country's length and the ISO 7064 MOD 97-10 checksum. The
// error says what is wrong without repeating the value.
func ValidateIBAN(iban string) error {
	if iban == "" {
		return fmt.Errorf("the IBAN is empty")
	}
	for i := 0; i < len(iban); i++ {
		c := iban[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("the IBAN contains characters other than letters and digits")
		}
	}
	if len(iban) < 4 || iban[0] < 'A' || iban[0] > 'Z' || iban[1] < 'A' || iban[1] > 'Z' || iban[2] > '9' || iban[3] > '9' {
		return fmt.Errorf("the IBAN does not start with a country code and two check digits")
	}
	want, ok := ibanLengths[iban[:2]]
	if !ok {
		return fmt.Errorf("the IBAN's country code %s is not an IBAN country", iban[:2])
	}
	if len(iban) != want {
		return fmt.Errorf("the IBAN has %d characters; %s IBANs have %d", len(iban), iban[:2], want)
	}
	if mod97(iban[4:]+iban[:4]) != 1 {
		return fmt.Errorf("the IBAN's check digits do not match (checksum)")
	}
	return nil
}

// mod97 is the ISO 7064 MOD 97-10 remainder of digits and letters (A=10…Z=35).
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return r
}

// MaskIBAN shows the country, the check digits and the last four
// characters: "DE89 •••• •••• 3000". The masked form does not reveal the
// length. Values of 8 characters or fewer are masked whole.
func MaskIBAN(iban string) string {
	iban = NormalizeIBAN(iban)
	if len(iban) <= 8 {
		return "•••• •••• •••• ••••"
	}
	return iban[:4] + " •••• •••• " + iban[len(iban)-4:]
}

// NormalizeBIC removes blanks and upper-cases.
func NormalizeBIC(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ValidateBIC checks a normalised BIC (ISO 9362): 4 letters (institution),
// 2 letters (country), 2 letters or digits (location) and optionally 3
// letters or digits (branch).
func ValidateBIC(bic string) error {
	if len(bic) != 8 && len(bic) != 11 {
		return fmt.Errorf("the BIC has %d characters; a BIC has 8 or 11", len(bic))
	}
	for i := 0; i < len(bic); i++ {
		c := bic[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		switch {
		case i < 4 && !letter && !digit:
			return fmt.Errorf("the BIC's institution code may hold only letters and digits")
		case i >= 4 && i < 6 && !letter:
			return fmt.Errorf("the BIC's country code must be two letters")
		case i >= 6 && !letter && !digit:
			return fmt.Errorf("the BIC may hold only letters and digits")
		}
	}
	if _, ok := ibanLengths[bic[4:6]]; !ok && !knownNonIBANCountry(bic[4:6]) {
		return fmt.Errorf("the BIC's country code %s is unknown", bic[4:6])
	}
	return nil
}

// knownNonIBANCountry accepts the BIC countries of the major economies
// without IBAN (their banks still have BICs).
func knownNonIBANCountry(cc string) bool {
	switch cc {
	case "US", "CA", "AU", "NZ", "JP", "CN", "HK", "SG", "IN", "KR", "TW", "MX", "AR", "CL", "CO", "PE", "ZA",
		"NG", "KE", "MA", "TH", "MY", "ID", "PH", "VN":
		return true
	}
	return false
}
