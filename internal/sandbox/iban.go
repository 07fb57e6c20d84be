package sandbox

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// mod97 computes the ISO 7064 MOD 97-10 remainder of a string of digits and
// letters (A=10 … Z=35).
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		}
	}
	return r
}

// validIBAN reports whether the IBAN (spaces allowed) has a valid checksum.
func validIBAN(iban string) bool {
	s := strings.ReplaceAll(iban, " ", "")
	if len(s) < 15 {
		return false
	}
	return mod97(s[4:]+s[:4]) == 1
}

func digits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}

// makeIBAN returns a checksum-valid IBAN and the BIC of its bank.
func makeIBAN(rng *rand.Rand, country string, spaced bool) (iban, bic string) {
	banks := banksFor(country)
	bk := banks[rng.IntN(len(banks))]
	var bban string
	switch country {
	case "AT":
		bban = bk.code + digits(rng, 11)
	case "FR":
		account := digits(rng, 11)
		bban = bk.code + account + ribKey(bk.code[:5], bk.code[5:], account)
	default:
		country = "DE"
		bban = bk.code + digits(rng, 10)
	}
	check := 98 - mod97(bban+country+"00")
	s := country + twoDigits(check) + bban
	if spaced {
		s = groupsOf4(s)
	}
	return s, bk.bic
}

// ribKey is the French national check digit pair of a numeric RIB.
func ribKey(bankCode, branch, account string) string {
	b, _ := strconv.Atoi(bankCode)
	g, _ := strconv.Atoi(branch)
	a, _ := strconv.ParseInt(account, 10, 64)
	k := 97 - int((89*int64(b)+15*int64(g)+3*a)%97)
	return twoDigits(k)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func groupsOf4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}
