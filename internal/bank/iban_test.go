package bank_test

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/bank"
)

func TestValidateIBAN(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
		why      string // part of the error
	}{
		{"valid DE", "DE89370400440532013000", true, ""},
		{"valid with spaces and lowercase", " de89 3704 0044 0532 0130 00 ", true, ""},
		{"valid with dashes", "GB82-WEST-1234-5698-7654-32", true, ""},
		{"valid AT", "AT611904300234573201", true, ""},
		{"valid FR", "FR1420041010050500013M02606", true, ""},
		{"valid NO (shortest)", "NO9386011117947", true, ""},
		{"bad checksum", "DE89370400440532013001", false, "checksum"},
		{"swapped digits", "DE89370400440523013000", false, "checksum"},
		{"too short for DE", "DE8937040044053201300", false, "DE IBANs have 22"},
		{"too long for DE", "DE893704004405320130000", false, "DE IBANs have 22"},
		{"unknown country", "XX89370400440532013000", false, "not an IBAN country"},
		{"no country", "1289370400440532013000", false, "country code"},
		{"punctuation", "DE89.3704.0044.0532.0130.00", false, "letters and digits"},
		{"empty", "", false, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := bank.ValidateIBAN(bank.NormalizeIBAN(tc.in))
			if tc.ok != (err == nil) {
				t.Fatalf("ValidateIBAN(%q) = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tc.why) {
				t.Errorf("error %q does not say %q", err, tc.why)
			}
			if err != nil && len(tc.in) > 8 && strings.Contains(err.Error(), bank.NormalizeIBAN(tc.in)) {
				t.Errorf("error %q repeats the IBAN", err)
			}
		})
	}
}

func TestValidateBIC(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"COBADEFFXXX", true}, {"cobadeff", true}, {"DEUT DE DB BER", true}, {"BNPAFRPP", true}, {"CHASUS33", true},
		{"COBADEF", false}, {"COBADEFFXX", false}, {"COBA1EFF", false}, {"COBAQQFF", false}, {"COBA-DEFF", false}, {"", false},
	} {
		if err := bank.ValidateBIC(bank.NormalizeBIC(tc.in)); tc.ok != (err == nil) {
			t.Errorf("ValidateBIC(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestMaskIBAN(t *testing.T) {
	for in, want := range map[string]string{
		"DE89370400440532013000":      "DE89 •••• •••• 3000",
		"de89 3704 0044 0532 0130 00": "DE89 •••• •••• 3000",
		"FR1420041010050500013M02606": "FR14 •••• •••• 2606",
		"NO9386011117947":             "NO93 •••• •••• 7947",
		"DE12":                        "•••• •••• •••• ••••",
	} {
		if got := bank.MaskIBAN(in); got != want {
			t.Errorf("MaskIBAN(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzIBAN: validation never panics, the mask never shows more than the
// first and last four characters, and a valid IBAN with one digit changed
// is rejected (MOD 97-10 catches every single substitution).
func FuzzIBAN(f *testing.F) {
	for _, s := range []string{"DE89370400440532013000", "de89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "NO9386011117947", "", "XX", "DE00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := bank.NormalizeIBAN(s)
		err := bank.ValidateIBAN(n)
		m := bank.MaskIBAN(s)
		if len(n) > 8 && m != n[:4]+" •••• •••• "+n[len(n)-4:] {
			t.Fatalf("MaskIBAN(%q) = %q", s, m)
		}
		if err != nil {
			return
		}
		for i := 4; i < len(n); i++ {
			if n[i] < '0' || n[i] > '9' {
				continue
			}
			b := []byte(n)
			b[i] = '0' + (b[i]-'0'+1)%10
			if bank.ValidateIBAN(string(b)) == nil {
				t.Fatalf("%q valid after changing position %d of %q", b, i, n)
			}
		}
	})
}
