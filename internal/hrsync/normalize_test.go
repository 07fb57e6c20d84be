package hrsync

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/store"
)

// marshalCustom must write what encoding/json writes: raw_hash covers it,
// and a different byte would rewrite every mirror row once.
func TestMarshalCustomMatchesEncodingJSON(t *testing.T) {
	cases := []map[string]hris.AttributeValue{
		{"dynamic_1": {Label: "Shoe size", Type: "integer", Value: "43"}},
		{"b": {Value: "x"}, "a": {Label: "A", UniversalID: "iban"}, "c": {}},
		{"html": {Label: "R&D <lab>", Value: `"quoted" \\ back\slash`}},
		{"ünï": {Label: "Größe", Value: "tab\there\nnewline", Type: "line\u2028sep\u2029"}},
		{"bad": {Value: "invalid \xff utf-8", Label: "del \x7f"}},
		{"raw": {Type: "tags", Raw: json.RawMessage(`["a","b"]`)}},
		{"raw spaced": {Raw: json.RawMessage(`{ "k" : [1, 2 ,3] }`)}},
		{"raw html": {Raw: json.RawMessage(`{"k":"<b>&"}`)}},
		{"raw unicode": {Raw: json.RawMessage(`["é","\u00e9"]`)}},
		{"raw only": {Raw: json.RawMessage(`{"value":{"id":1,"name":"x"}}`)}, "z": {Value: "0"}},
	}
	for _, c := range cases {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := marshalCustom(c)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("marshalCustom(%v)\n got %s\nwant %s", c, got, want)
		}
	}
	if _, err := marshalCustom(map[string]hris.AttributeValue{"x": {Raw: json.RawMessage(`{"open":`)}}); err == nil {
		t.Error("invalid raw JSON was accepted")
	}
	if _, err := marshalCustom(map[string]hris.AttributeValue{"x": {Raw: json.RawMessage(`[1,`)}}); err == nil {
		t.Error("invalid plain raw JSON was accepted")
	}
}

// Records normalised ahead on the fetching goroutine are the same rows the
// writer would make itself; pages the writer skips are let go.
func TestPreparedRecordsMatchNormalize(t *testing.T) {
	sup := int64(7)
	page := []hris.Employee{
		{ID: 1, FirstName: " Ann ", LastName: "Lee", Email: "Ann@Example.com", SupervisorID: &sup,
			Custom: map[string]hris.AttributeValue{"shoe": {Label: "Shoe", Value: "43"}, "iban": {Label: "IBAN", Value: "DE00"}}},
		{ID: 0, FirstName: "no id"},
		{ID: 2, FirstName: "Bo", Email: "not-an-email"},
	}
	n, err := newNormalizer(&store.SyncSettings{})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := newNormalizer(&store.SyncSettings{})
	n.prepare(page)
	for _, i := range []int{0, 2} {
		if _, ok := n.prepared(&page[i]); !ok {
			t.Fatalf("record %d was not prepared", i)
		}
		got, gotWs, err := n.normalize(&page[i])
		if err != nil {
			t.Fatal(err)
		}
		want, wantWs, _ := ref.normalize(&page[i])
		if (got.SupervisorID == nil) != (want.SupervisorID == nil) || got.SupervisorID != nil && *got.SupervisorID != *want.SupervisorID {
			t.Errorf("record %d: supervisor %v, want %v", i, got.SupervisorID, want.SupervisorID)
		}
		got.SupervisorID, want.SupervisorID = nil, nil
		if got != want || len(gotWs) != len(wantWs) {
			t.Errorf("record %d: prepared %+v (%v), normalised %+v (%v)", i, got, gotWs, want, wantWs)
		}
	}
	other := []hris.Employee{{ID: 3, FirstName: "Cy"}}
	if _, ok := n.prepared(&other[0]); ok {
		t.Fatal("a record that was never prepared was found")
	}
	for range maxReadyPages + 5 {
		n.prepare([]hris.Employee{{ID: 9}})
	}
	if len(n.ready) > maxReadyPages {
		t.Errorf("%d prepared pages kept, want at most %d", len(n.ready), maxReadyPages)
	}
}
