package hris_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

func TestDate(t *testing.T) {
	d := hris.NewDate(2024, time.February, 29)
	if d.String() != "2024-02-29" {
		t.Errorf("String = %q", d.String())
	}
	if got := hris.NewDate(2023, time.April, 31); got != hris.NewDate(2023, time.May, 1) {
		t.Errorf("NewDate normalises to %v", got)
	}
	if d.AddDays(1) != hris.NewDate(2024, time.March, 1) || !d.Before(d.AddDays(1)) || !d.After(d.AddDays(-1)) {
		t.Error("AddDays/Before/After")
	}
	if got := d.In(time.UTC); !got.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("In = %v", got)
	}
	if (hris.Date{}).String() != "" || !(hris.Date{}).IsZero() {
		t.Error("zero date")
	}
	if _, err := hris.ParseDate("2024-02-30"); err == nil {
		t.Error("ParseDate accepted 30 February")
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		A hris.Date `json:"a"`
		B hris.Date `json:"b"`
	}
	b, err := json.Marshal(doc{A: hris.NewDate(2020, 1, 2)})
	if err != nil || string(b) != `{"a":"2020-01-02","b":null}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var got doc
	if err := json.Unmarshal([]byte(`{"a":"2020-01-02","b":""}`), &got); err != nil || got.A != hris.NewDate(2020, 1, 2) || !got.B.IsZero() {
		t.Fatalf("Unmarshal = %+v, %v", got, err)
	}
	if err := json.Unmarshal([]byte(`{"a":20200102}`), &got); err == nil {
		t.Error("Unmarshal accepted a number")
	}
}

func TestDateSQL(t *testing.T) {
	v, err := hris.NewDate(2021, 12, 31).Value()
	if err != nil || v != "2021-12-31" {
		t.Errorf("Value = %v, %v", v, err)
	}
	if v, _ := (hris.Date{}).Value(); v != nil {
		t.Errorf("zero Value = %v, want NULL", v)
	}
	for _, src := range []any{
		"2021-12-31", []byte("2021-12-31 00:00:00+00:00"), time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC), "2021-12-31T00:00:00Z",
	} {
		var d hris.Date
		if err := d.Scan(src); err != nil || d != hris.NewDate(2021, 12, 31) {
			t.Errorf("Scan(%v) = %v, %v", src, d, err)
		}
	}
	var d hris.Date
	if err := d.Scan(nil); err != nil || !d.IsZero() {
		t.Errorf("Scan(nil) = %v, %v", d, err)
	}
	if err := d.Scan(42); err == nil {
		t.Error("Scan(42) succeeded")
	}
}

func TestErrorMatching(t *testing.T) {
	err := error(&hris.Error{Provider: "Personio", Kind: hris.ErrServer, Op: "create time-off", Method: "POST",
		Path: "/v1/company/time-offs", Status: 502, Ambiguous: true})
	wrapped := errors.Join(errors.New("outbox"), err)
	for _, target := range []error{hris.ErrServer, hris.ErrAmbiguous} {
		if !errors.Is(wrapped, target) {
			t.Errorf("errors.Is(%v) = false", target)
		}
	}
	if errors.Is(wrapped, hris.ErrNotFound) {
		t.Error("matches ErrNotFound")
	}
	msg := hris.UserMessage(wrapped)
	if !strings.HasPrefix(msg, "Personio had a server error (HTTP 502)") || !strings.Contains(msg, "may have been saved") {
		t.Errorf("UserMessage = %q", msg)
	}
	if !strings.Contains(err.Error(), "create time-off: ") || !strings.Contains(err.Error(), "POST /v1/company/time-offs: HTTP 502") {
		t.Errorf("Error = %q", err.Error())
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  *hris.Error
		want string
	}{
		{&hris.Error{Provider: "Personio", Kind: hris.ErrBadCredentials, Status: 401, Message: "Wrong credentials"},
			"Personio rejected the client ID or secret. Personio says: Wrong credentials."},
		{&hris.Error{Provider: "Personio", Kind: hris.ErrUnreachable, URL: "https://api.personio.de", Err: syscall.ECONNREFUSED},
			"Could not reach https://api.personio.de: connection refused."},
		{&hris.Error{Provider: "Personio", Kind: hris.ErrUnreachable, URL: "https://api.personio.de", Timeout: true, Err: context.DeadlineExceeded},
			"https://api.personio.de did not answer in time."},
		{&hris.Error{Kind: hris.ErrRateLimited, RetryAfter: 61 * time.Second},
			"The HR system's rate limit is exhausted; try again in 1m1s."},
		{&hris.Error{Kind: hris.ErrNotFound}, "The HR system could not find the requested record."},
	}
	for _, tt := range tests {
		if got := tt.err.UserMessage(); got != tt.want {
			t.Errorf("UserMessage = %q, want %q", got, tt.want)
		}
	}
	if !errors.Is(tests[1].err, syscall.ECONNREFUSED) || !errors.Is(tests[2].err, context.DeadlineExceeded) {
		t.Error("the cause is not matched")
	}
}

func TestEmployeeHelpers(t *testing.T) {
	e := hris.Employee{FirstName: "Ada", LastName: "Lovelace", Status: hris.StatusLeave, Custom: map[string]hris.AttributeValue{
		"dynamic_21827": {Label: "IBAN", UniversalID: "iban", Value: "DE02"},
	}}
	if e.DisplayName() != "Ada Lovelace" || !e.Active() {
		t.Errorf("DisplayName %q, Active %v", e.DisplayName(), e.Active())
	}
	for _, key := range []string{"dynamic_21827", "iban"} {
		if v, ok := e.Attr(key); !ok || v.Value != "DE02" {
			t.Errorf("Attr(%q) = %+v, %v", key, v, ok)
		}
	}
	if _, ok := e.Attr("bic"); ok {
		t.Error("Attr(bic) found")
	}
	ctx := hris.WithArea(context.Background(), "absences")
	if hris.AreaFrom(ctx) != "absences" || hris.AreaFrom(context.Background()) != "" {
		t.Error("area")
	}
}
