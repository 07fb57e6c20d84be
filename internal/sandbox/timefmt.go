package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// civil is a calendar date stored compactly as days since 1899-12-31, so the
// zero value means "no date" (1899-12-31 itself is never used).
type civil int32

const civilEpochOffset = 25568 // days from 1899-12-31 to 1970-01-01

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	return civil(u/86400 + civilEpochOffset)
}

func (c civil) valid() bool { return c != 0 }

// time returns midnight UTC of the date (wall-clock arithmetic only).
func (c civil) time() time.Time {
	return time.Unix(int64(c-civilEpochOffset)*86400, 0).UTC()
}

func (c civil) addDays(n int) civil { return c + civil(n) }

func (c civil) weekday() time.Weekday { return c.time().Weekday() }

// String formats YYYY-MM-DD, or "" for no date.
func (c civil) String() string {
	if !c.valid() {
		return ""
	}
	return c.time().Format(time.DateOnly)
}

func parseCivil(s string) (civil, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("invalid date %q, want YYYY-MM-DD", s)
	}
	return civilOf(t), nil
}

// Personio's data carries Europe/Berlin offsets (+01:00 in winter, +02:00 in
// summer). The EU rule is computed here instead of loading tzdata: summer time
// runs from the last Sunday of March 01:00 UTC to the last Sunday of October
// 01:00 UTC.

func lastSunday(year int, month time.Month) civil {
	// The last day of the month, then back to Sunday.
	last := civilOf(time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC))
	return last.addDays(-int(last.weekday()))
}

// berlinOffsetAtMidnight returns the UTC offset (seconds) of Berlin at local
// midnight of the date.
func berlinOffsetAtMidnight(c civil) int {
	y := c.time().Year()
	if c > lastSunday(y, time.March) && c <= lastSunday(y, time.October) {
		return 7200
	}
	return 3600
}

// berlinOffset returns the UTC offset (seconds) of Berlin at the instant.
func berlinOffset(t time.Time) int {
	t = t.UTC()
	y := t.Year()
	start := lastSunday(y, time.March).time().Add(time.Hour)
	end := lastSunday(y, time.October).time().Add(time.Hour)
	if !t.Before(start) && t.Before(end) {
		return 7200
	}
	return 3600
}

// berlinLocal returns the instant as Berlin wall-clock time in a fixed zone.
func berlinLocal(t time.Time) time.Time {
	off := berlinOffset(t)
	return t.In(time.FixedZone("", off))
}

// berlinMidnight returns the instant of local midnight of the date in Berlin.
func berlinMidnight(c civil) time.Time {
	return c.time().Add(-time.Duration(berlinOffsetAtMidnight(c)) * time.Second)
}

// offsetStyle selects how a UTC offset is written: Personio mixes "+01:00"
// (employee data) and "+0100" (spec examples, time-offs).
type offsetStyle bool

const (
	offsetColon   offsetStyle = true
	offsetNoColon offsetStyle = false
)

func appendOffset(b []byte, seconds int, style offsetStyle) []byte {
	sign := byte('+')
	if seconds < 0 {
		sign = '-'
		seconds = -seconds
	}
	h, m := seconds/3600, seconds%3600/60
	b = append(b, sign, byte('0'+h/10), byte('0'+h%10))
	if style == offsetColon {
		b = append(b, ':')
	}
	return append(b, byte('0'+m/10), byte('0'+m%10))
}

// appendDateMidnight writes "YYYY-MM-DDT00:00:00+01:00" (or +0100).
func appendDateMidnight(b []byte, c civil, style offsetStyle) []byte {
	b = c.time().AppendFormat(b, "2006-01-02T00:00:00")
	return appendOffset(b, berlinOffsetAtMidnight(c), style)
}

// appendTimestamp writes the instant as Berlin local time with offset.
func appendTimestamp(b []byte, unix int64, style offsetStyle) []byte {
	t := time.Unix(unix, 0).UTC()
	off := berlinOffset(t)
	b = t.Add(time.Duration(off)*time.Second).AppendFormat(b, "2006-01-02T15:04:05")
	return appendOffset(b, off, style)
}

// parseUpdatedSince accepts the documented formats of updated_since
// ("2022-12-24T08:15:30" or "2022-12-24") and RFC 3339 with an offset.
// Values without an offset are read as Berlin local time [inf]: the format has
// no timezone and Personio's data carries Berlin offsets (NOTES.md §5.2).
func parseUpdatedSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05-0700", s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return berlinWallToInstant(t), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date-time %q", s)
}

// berlinWallToInstant interprets t's wall-clock fields as Berlin local time.
func berlinWallToInstant(t time.Time) time.Time {
	u := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	// Two passes settle the offset around the DST switches.
	off := berlinOffset(u.Add(-time.Hour))
	inst := u.Add(-time.Duration(off) * time.Second)
	return u.Add(-time.Duration(berlinOffset(inst)) * time.Second)
}

// formatWeeklyHours writes hours like Personio: "40", "38.5".
func formatWeeklyHours(tenths int) string {
	if tenths%10 == 0 {
		return strconv.Itoa(tenths / 10)
	}
	return strconv.Itoa(tenths/10) + "." + strconv.Itoa(tenths%10)
}

func parseWeeklyHours(s string) (int, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 80 {
		return 0, fmt.Errorf("invalid weekly_working_hours %q", s)
	}
	return int(f*10 + 0.5), nil
}
