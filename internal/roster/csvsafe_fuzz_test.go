package roster_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/roster"
)

// FuzzCSVSafe: whatever the value, the cell a spreadsheet reads back from
// a CSV written with CSVSafe does not start a formula, only dangerous
// values are changed, and they are changed by a leading quote alone.
func FuzzCSVSafe(f *testing.F) {
	for _, s := range []string{"", "Ada", "=1+1", "+49 30 123", "-5", "@SUM(A1)", "\t=cmd", "\r=cmd", "'=quoted", " =space",
		"=HYPERLINK(\"http://evil.test\",\"x\")", "a,b\n\"c\"", "\x00=", "=\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := roster.CSVSafe(v)
		dangerous := v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0]))
		switch {
		case dangerous && got != "'"+v:
			t.Fatalf("CSVSafe(%q) = %q, want a leading quote", v, got)
		case !dangerous && got != v:
			t.Fatalf("CSVSafe(%q) = %q changed a harmless value", v, got)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write([]string{got, "next"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(recs) != 1 || len(recs[0]) != 2 {
			t.Fatalf("%q does not read back as one row of two cells: %v %q", v, err, recs)
		}
		if c := recs[0][0]; c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Fatalf("cell %q read back from %q starts a formula", c, v)
		}
	})
}
