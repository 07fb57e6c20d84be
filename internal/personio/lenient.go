package personio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

// Personio's values drift from its spec (NOTES.md §11.9): numbers arrive as
// strings ("40"), booleans as 0/1, empty strings stand for null, and
// date-times carry "+01:00" or "+0100" offsets. The lenient types below
// accept all of these. They never fail a decode: a value they cannot read is
// kept in bad and turned into a record warning by the caller.

// flexNumber is a number or a numeric string ("40", "37,5", "").
type flexNumber struct {
	v   float64
	set bool
	bad string
}

func (f *flexNumber) UnmarshalJSON(b []byte) error {
	*f = flexNumber{}
	v, ok, bad := numberFromJSON(b)
	f.v, f.set, f.bad = v, ok, bad
	return nil
}

func numberFromJSON(b []byte) (v float64, ok bool, bad string) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return 0, false, ""
	case b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) != nil {
			return 0, false, "invalid string"
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, false, ""
		}
		if f, ok := parseNumber(s); ok {
			return f, true, ""
		}
		return 0, false, fmt.Sprintf("%q is not a number", truncate(s, 40))
	case b[0] == 't' || b[0] == 'f':
		if b[0] == 't' {
			return 1, true, ""
		}
		return 0, true, ""
	case b[0] == '{' || b[0] == '[':
		return 0, false, "expected a number, got " + jsonKindName(b[0])
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false, fmt.Sprintf("%s is not a number", truncate(string(b), 40))
	}
	return f, true, ""
}

// parseNumber reads a decimal number, accepting a decimal comma.
func parseNumber[T ~string | ~[]byte](s T) (float64, bool) {
	str := strings.TrimSpace(string(s))
	if f, err := strconv.ParseFloat(str, 64); err == nil {
		return f, true
	}
	if strings.Count(str, ",") == 1 && !strings.Contains(str, ".") {
		if f, err := strconv.ParseFloat(strings.Replace(str, ",", ".", 1), 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

// flexInt is an integer, an integral float or a numeric string.
type flexInt struct {
	v   int64
	set bool
	bad string
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	*f = flexInt{}
	v, ok, bad := numberFromJSON(b)
	switch {
	case bad != "":
		f.bad = bad
	case ok && v != float64(int64(v)):
		f.bad = fmt.Sprintf("%v is not an integer", v)
	case ok:
		f.v, f.set = int64(v), true
	}
	return nil
}

// flexBool is true/false, 0/1 or their string forms.
type flexBool struct {
	v   bool
	bad string
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	*f = flexBool{}
	f.v, f.bad = boolFromText(string(bytes.Trim(bytes.TrimSpace(b), `"`)))
	return nil
}

func boolFromText(s string) (bool, string) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "on":
		return true, ""
	case "false", "0", "no", "n", "off", "", "null":
		return false, ""
	}
	return false, fmt.Sprintf("%q is not a boolean", truncate(s, 40))
}

// flexString is a string, or the text of a number or boolean; null and
// non-scalars read as "".
type flexString struct {
	v   string
	bad string
}

func (f *flexString) UnmarshalJSON(b []byte) error {
	*f = flexString{}
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
	case b[0] == '"':
		if json.Unmarshal(b, &f.v) != nil {
			f.bad = "invalid string"
		}
	case b[0] == '{' || b[0] == '[':
		f.bad = "expected text, got " + jsonKindName(b[0])
	default:
		f.v = string(b)
	}
	return nil
}

func jsonKindName(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// warnings collects per-record problems.
type warnings []hris.FieldWarning

func (w *warnings) add(field, msg string) {
	if msg != "" {
		*w = append(*w, hris.FieldWarning{Field: field, Message: msg})
	}
}

// zones caches fixed time zones by offset so that parsing many timestamps
// with the same offset does not allocate a location each time.
type zones map[int]*time.Location

func (z zones) get(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	if loc, ok := z[offset]; ok {
		return loc
	}
	loc := time.FixedZone("", offset)
	if z != nil && len(z) < 64 {
		z[offset] = loc
	}
	return loc
}

// parseDateTime reads the date-time layouts Personio uses:
// "2006-01-02T15:04:05+01:00", "...+0100", "...Z", fractional seconds,
// "2006-01-02 15:04:05", no offset (read in loc) and a bare date (midnight
// in loc).
func parseDateTime[T ~string | ~[]byte](s T, loc *time.Location, z zones) (time.Time, bool) {
	n := len(s)
	if n < 10 || !isDate(s) {
		return time.Time{}, false
	}
	y, mo, d := atoi4(s[0:4]), atoi2(s[5:7]), atoi2(s[8:10])
	if n == 10 {
		return validTime(y, mo, d, 0, 0, 0, 0, loc)
	}
	if (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || n < 16 || !isDigits(s[11:13]) || s[13] != ':' || !isDigits(s[14:16]) {
		return time.Time{}, false
	}
	hh, mm, ss, nanos := atoi2(s[11:13]), atoi2(s[14:16]), 0, 0
	i := 16
	if i < n && s[i] == ':' {
		if n < 19 || !isDigits(s[17:19]) {
			return time.Time{}, false
		}
		ss = atoi2(s[17:19])
		i = 19
		if i < n && (s[i] == '.' || s[i] == ',') {
			i++
			digits := 0
			for i < n && s[i] >= '0' && s[i] <= '9' {
				if digits < 9 {
					nanos = nanos*10 + int(s[i]-'0')
					digits++
				}
				i++
			}
			if digits == 0 {
				return time.Time{}, false
			}
			for ; digits < 9; digits++ {
				nanos *= 10
			}
		}
	}
	if i == n {
		return validTime(y, mo, d, hh, mm, ss, nanos, loc)
	}
	switch s[i] {
	case 'Z', 'z':
		if i+1 != n {
			return time.Time{}, false
		}
		return validTime(y, mo, d, hh, mm, ss, nanos, time.UTC)
	case '+', '-':
		rest := s[i+1:]
		var oh, om int
		switch {
		case len(rest) == 5 && rest[2] == ':' && isDigits(rest[0:2]) && isDigits(rest[3:5]):
			oh, om = atoi2(rest[0:2]), atoi2(rest[3:5])
		case len(rest) == 4 && isDigits(rest):
			oh, om = atoi2(rest[0:2]), atoi2(rest[2:4])
		case len(rest) == 2 && isDigits(rest):
			oh = atoi2(rest)
		default:
			return time.Time{}, false
		}
		if oh > 18 || om > 59 {
			return time.Time{}, false
		}
		off := oh*3600 + om*60
		if s[i] == '-' {
			off = -off
		}
		return validTime(y, mo, d, hh, mm, ss, nanos, z.get(off))
	}
	return time.Time{}, false
}

func validTime(y, mo, d, hh, mm, ss, nanos int, loc *time.Location) (time.Time, bool) {
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, hh, mm, ss, nanos, loc), true
}

// parseCivilDate reads a calendar date from "2006-01-02" or a date-time.
// Personio writes dates as midnight in the company's zone with an offset
// ("2014-11-09T00:00:00+01:00"), so the written date is the date. A
// date-time that is not midnight is rounded to the nearest midnight in its
// own offset, which recovers the date from a UTC rendering such as
// "2014-11-08T23:00:00Z" [inf].
func parseCivilDate[T ~string | ~[]byte](s T, z zones) (hris.Date, bool) {
	if len(s) == 10 {
		if !isDate(s) {
			return hris.Date{}, false
		}
		y, m, d := atoi4(s[0:4]), atoi2(s[5:7]), atoi2(s[8:10])
		if m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
			return hris.Date{}, false
		}
		return hris.Date{Year: y, Month: time.Month(m), Day: d}, true
	}
	t, ok := parseDateTime(s, time.UTC, z)
	if !ok {
		return hris.Date{}, false
	}
	if h := t.Hour(); h >= 12 {
		t = t.Add(time.Duration(24-h) * time.Hour)
	}
	return hris.DateOf(t), true
}

func isDate[T ~string | ~[]byte](s T) bool {
	return len(s) >= 10 && isDigits(s[0:4]) && s[4] == '-' && isDigits(s[5:7]) && s[7] == '-' && isDigits(s[8:10])
}

func isDigits[T ~string | ~[]byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func atoi2[T ~string | ~[]byte](s T) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

func atoi4[T ~string | ~[]byte](s T) int { return atoi2(s[0:2])*100 + atoi2(s[2:4]) }

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
