package bank

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/roster"
)

// FuzzBankExportCSV writes one export row of arbitrary values (names and
// bank details come from Personio or from users): the CSV has exactly the
// header and that row, no cell starts a formula, and every cell reads back
// as the value with at most a neutralising quote in front.
func FuzzBankExportCSV(f *testing.F) {
	f.Add("Ada Lovelace", "ada@acme.test", "Ada Lovelace", "DE89370400440532013000", "COBADEFFXXX", "")
	f.Add("=HYPERLINK(\"http://evil.test\")", "+ada@acme.test", "-Holder", "@IBAN", "\tBIC", "\r=warn")
	f.Add("Name, \"quoted\"\nnext line", "a@b", "=cmd|' /C calc'!A0", "DE89 3704 0044 0532 0130 00", "", "The IBAN has 21 characters")
	f.Add("'=already", "x\r\ny", "", "", "", "=")
	f.Fuzz(func(t *testing.T, name, email, holder, iban, bic, warning string) {
		in := []string{name, email, holder, iban, bic, "Personio", "2026-01-02T03:04:05Z", warning}
		ex := &Export{rows: [][]string{in}}
		var buf bytes.Buffer
		if err := ex.Write(&buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("not valid CSV: %v", err)
		}
		if len(recs) != 2 || len(recs[1]) != len(ExportHeader) {
			t.Fatalf("%d records (row of %d cells) for one user: %q", len(recs), len(recs[len(recs)-1]), recs)
		}
		for i, cell := range recs[1] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("cell %d %q starts a formula (from %q)", i, cell, in[i])
			}
			if want := strings.ReplaceAll(roster.CSVSafe(in[i]), "\r\n", "\n"); cell != want {
				t.Fatalf("cell %d reads back %q, want %q", i, cell, want)
			}
		}
	})
}
