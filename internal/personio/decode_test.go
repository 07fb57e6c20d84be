package personio

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/hris"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeEmployees(t testing.TB, body string) []hris.Employee {
	t.Helper()
	page, _, err := newEmployeeDecoder(time.UTC, allFields).decodePage(strings.NewReader(body), nil)
	if err != nil {
		t.Fatalf("decodePage: %v", err)
	}
	return page
}

func TestDecodeEmployeesSpecExample(t *testing.T) {
	page, meta, err := newEmployeeDecoder(time.UTC, allFields).decodePage(bytes.NewReader(readTestdata(t, "employees_spec.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !meta.known || meta.TotalPages != 3 || meta.CurrentPage != 0 {
		t.Errorf("meta = %+v", meta)
	}
	if len(page) != 1 {
		t.Fatalf("got %d employees, want 1", len(page))
	}
	e := page[0]
	sup := int64(2)
	want := hris.Employee{
		ID: 1, FirstName: "Alexander", LastName: "Bergmann", PreferredName: "Alexander Bergmann",
		Email: "alexander.bergmann@demo.email", Gender: "male", Status: hris.StatusActive, Position: "CTO",
		EmploymentType:    "external",
		Department:        hris.Ref{ID: 281521, Name: "Customer Support"},
		Team:              hris.Ref{ID: 59026, Name: "T_X"},
		Office:            hris.Ref{ID: 131014, Name: "Munich"},
		Subcompany:        hris.Ref{ID: 7033, Name: "CS Demo GmbH"},
		CostCenters:       []hris.CostCenter{{ID: 82957, Name: "Cost center 1", Percentage: 100}},
		SupervisorID:      &sup,
		HireDate:          hris.NewDate(2014, time.November, 9),
		WeeklyHours:       40,
		ProfilePictureURL: "https://api.personio.de/v1/company/employees/1132888/profile-picture",
		CreatedAt:         time.Date(2017, 5, 23, 9, 49, 3, 0, time.FixedZone("", 7200)),
		LastModifiedAt:    time.Date(2020, 11, 18, 17, 33, 55, 0, time.FixedZone("", 3600)),
	}
	checkEmployee(t, e, want)
	if len(e.Missing) != 0 || len(e.Warnings) != 0 {
		t.Errorf("missing %v, warnings %v", e.Missing, e.Warnings)
	}
	iban, ok := e.Attr("iban")
	if !ok || iban.Value != "DE98 8989 9898 0000 8989 00" || iban.Label != "IBAN" || iban.Type != "standard" {
		t.Errorf("iban = %+v, %v", iban, ok)
	}
	if v := e.Custom["dynamic_24407"]; v.Value != "Dr" || v.Label != "Titel" || v.UniversalID != "" {
		t.Errorf("dynamic_24407 = %+v", v)
	}
	if v := e.Custom["dynamic_33400"]; v.Value != "2021-01-01" || v.Type != "date" {
		t.Errorf("dynamic_33400 = %+v", v)
	}
	// Standard attributes without a typed field are kept too.
	if v := e.Custom["fix_salary"]; v.Value != "3000" || v.Type != "decimal" {
		t.Errorf("fix_salary = %+v", v)
	}
	if v := e.Custom["work_schedule"]; !bytes.Contains(v.Raw, []byte(`"monday": "08:00"`)) {
		t.Errorf("work_schedule raw = %s", v.Raw)
	}
}

func checkEmployee(t *testing.T, got, want hris.Employee) {
	t.Helper()
	type cmp struct {
		name      string
		got, want any
	}
	for _, c := range []cmp{
		{"ID", got.ID, want.ID}, {"FirstName", got.FirstName, want.FirstName}, {"LastName", got.LastName, want.LastName},
		{"PreferredName", got.PreferredName, want.PreferredName}, {"Email", got.Email, want.Email},
		{"Gender", got.Gender, want.Gender}, {"Status", got.Status, want.Status}, {"Position", got.Position, want.Position},
		{"EmploymentType", got.EmploymentType, want.EmploymentType}, {"Department", got.Department, want.Department},
		{"Team", got.Team, want.Team}, {"Office", got.Office, want.Office}, {"Subcompany", got.Subcompany, want.Subcompany},
		{"HireDate", got.HireDate, want.HireDate}, {"ContractEndDate", got.ContractEndDate, want.ContractEndDate},
		{"TerminationDate", got.TerminationDate, want.TerminationDate}, {"LastWorkingDay", got.LastWorkingDay, want.LastWorkingDay},
		{"TerminationType", got.TerminationType, want.TerminationType}, {"WeeklyHours", got.WeeklyHours, want.WeeklyHours},
		{"ProfilePictureURL", got.ProfilePictureURL, want.ProfilePictureURL},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	if !got.LastModifiedAt.Equal(want.LastModifiedAt) {
		t.Errorf("LastModifiedAt = %v, want %v", got.LastModifiedAt, want.LastModifiedAt)
	}
	if !slices.Equal(got.CostCenters, want.CostCenters) {
		t.Errorf("CostCenters = %v, want %v", got.CostCenters, want.CostCenters)
	}
	switch {
	case (got.SupervisorID == nil) != (want.SupervisorID == nil):
		t.Errorf("SupervisorID = %v, want %v", got.SupervisorID, want.SupervisorID)
	case got.SupervisorID != nil && *got.SupervisorID != *want.SupervisorID:
		t.Errorf("SupervisorID = %d, want %d", *got.SupervisorID, *want.SupervisorID)
	}
}

// attr renders one v1 attribute object.
func attr(key, value string) string {
	return fmt.Sprintf(`%q:{"label":%q,"value":%s,"type":"standard","universal_id":%q}`, key, key, value, key)
}

func employeePage(records ...string) string {
	return `{"success":true,"metadata":{"total_elements":` + fmt.Sprint(len(records)) +
		`,"current_page":0,"total_pages":1},"offset":0,"limit":100,"data":[` + strings.Join(records, ",") + `]}`
}

func record(attrs ...string) string {
	return `{"type":"Employee","attributes":{` + strings.Join(attrs, ",") + `}}`
}

func TestDecodeEmployeeQuirks(t *testing.T) {
	sup := int64(7)
	tests := []struct {
		name     string
		attrs    []string
		want     hris.Employee
		warnings []string // fields with a warning
	}{
		{
			name: "offsets without colon and empty strings as null",
			attrs: []string{attr("id", "5"), attr("hire_date", `"2014-11-09T00:00:00+0100"`),
				attr("termination_date", `""`), attr("termination_type", `""`), attr("department", `""`),
				attr("team", "null"), attr("cost_centers", "[]"), attr("supervisor", "null"),
				attr("last_modified_at", `"2020-11-18T17:33:55+0100"`)},
			want: hris.Employee{ID: 5, HireDate: hris.NewDate(2014, 11, 9),
				LastModifiedAt: time.Date(2020, 11, 18, 16, 33, 55, 0, time.UTC)},
		},
		{
			name: "numbers as strings and strings as numbers",
			attrs: []string{attr("id", `"42"`), attr("weekly_working_hours", `"37,5"`), attr("first_name", "12"),
				attr("supervisor", `{"type":"Employee","attributes":{"id":{"label":"ID","value":"7","type":"integer"},"first_name":{"label":"First name","value":"Ada"}}}`)},
			want: hris.Employee{ID: 42, WeeklyHours: 37.5, FirstName: "12", SupervisorID: &sup},
		},
		{
			name: "UTC rendering of a Berlin midnight keeps the date",
			attrs: []string{attr("id", "1"), attr("hire_date", `"2014-11-08T23:00:00Z"`),
				attr("last_working_day", `"2024-03-31"`), attr("contract_end_date", `"2024-06-30T00:00:00.000+02:00"`)},
			want: hris.Employee{ID: 1, HireDate: hris.NewDate(2014, 11, 9), LastWorkingDay: hris.NewDate(2024, 3, 31),
				ContractEndDate: hris.NewDate(2024, 6, 30)},
		},
		{
			name: "flat refs and cost centers with string percentages",
			attrs: []string{attr("id", "1"), attr("office", `{"id":3,"name":"Berlin"}`),
				attr("cost_centers", `[{"type":"CostCenter","attributes":{"id":1,"name":"A","percentage":"60"}},{"type":"CostCenter","attributes":{"id":2,"name":"B","percentage":40}}]`)},
			want: hris.Employee{ID: 1, Office: hris.Ref{ID: 3, Name: "Berlin"},
				CostCenters: []hris.CostCenter{{ID: 1, Name: "A", Percentage: 60}, {ID: 2, Name: "B", Percentage: 40}}},
		},
		{
			name: "bad values become warnings",
			attrs: []string{attr("id", "9"), attr("first_name", `"Ann"`), attr("hire_date", `"2020-13-45"`),
				attr("last_name", `{"x":1}`), attr("weekly_working_hours", `"forty"`), attr("department", "17"),
				attr("created_at", `"yesterday"`)},
			want:     hris.Employee{ID: 9, FirstName: "Ann"},
			warnings: []string{"hire_date", "last_name", "weekly_working_hours", "department", "created_at"},
		},
		{
			name:     "a record without id",
			attrs:    []string{attr("first_name", `"Nobody"`)},
			want:     hris.Employee{FirstName: "Nobody"},
			warnings: []string{"id"},
		},
		{
			name:  "escaped strings and bare values",
			attrs: []string{`"id":11`, attr("email", `"a\u00e9b@x.de "`), attr("profile_picture", `"https:\/\/api.personio.de\/v1\/x"`)},
			want:  hris.Employee{ID: 11, Email: "aéb@x.de", ProfilePictureURL: "https://api.personio.de/v1/x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := decodeEmployees(t, employeePage(record(tt.attrs...)))
			if len(page) != 1 {
				t.Fatalf("got %d records", len(page))
			}
			checkEmployee(t, page[0], tt.want)
			var fields []string
			for _, w := range page[0].Warnings {
				fields = append(fields, w.Field)
			}
			if !slices.Equal(fields, tt.warnings) {
				t.Errorf("warnings = %v, want fields %v", page[0].Warnings, tt.warnings)
			}
		})
	}
}

func TestDecodeEmployeesBadRecordKeepsPage(t *testing.T) {
	body := employeePage(
		record(attr("id", "1"), attr("first_name", `"A"`)),
		`"not an object"`,
		record(attr("id", "3"), attr("hire_date", `"31.12.2020"`), attr("first_name", `"C"`)),
		record(attr("id", "4"), `"attributes2":[1,2]`, attr("dynamic_99", `["a","b"]`), attr("brand_new", `{"k":true}`)),
	)
	page := decodeEmployees(t, body)
	if len(page) != 4 {
		t.Fatalf("got %d records, want 4", len(page))
	}
	if page[0].ID != 1 || page[0].FirstName != "A" || len(page[0].Warnings) != 0 {
		t.Errorf("record 1 = %+v", page[0])
	}
	if page[1].ID != 0 || len(page[1].Warnings) == 0 {
		t.Errorf("record 2 = %+v", page[1])
	}
	if page[2].ID != 3 || page[2].FirstName != "C" || !page[2].HireDate.IsZero() || len(page[2].Warnings) != 1 {
		t.Errorf("record 3 = %+v", page[2])
	}
	if string(page[3].Custom["dynamic_99"].Raw) != `["a","b"]` || string(page[3].Custom["brand_new"].Raw) != `{"k":true}` {
		t.Errorf("record 4 custom = %+v", page[3].Custom)
	}
}

func TestDecodeEmployeesMissing(t *testing.T) {
	body := employeePage(record(attr("id", "1"), attr("first_name", `"A"`)))
	dec := newEmployeeDecoder(time.UTC, expectedFields([]string{"first_name", "team", "dynamic_1"}))
	page, _, err := dec.decodePage(strings.NewReader(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(page[0].Missing, []string{"team"}) {
		t.Errorf("Missing = %v, want [team]", page[0].Missing)
	}
}

func TestDecodeEmployeesFailures(t *testing.T) {
	for name, body := range map[string]string{
		"truncated":     `{"success":true,"data":[{"type":"Employee","attributes":{"id":{"value":1`,
		"not json":      `<html>Bad gateway</html>`,
		"success false": `{"success":false,"error":{"code":0,"message":"nope"}}`,
		"empty":         ``,
		"array":         `[1,2]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := newEmployeeDecoder(time.UTC, allFields).decodePage(strings.NewReader(body), nil)
			if err == nil {
				t.Fatal("decodePage succeeded")
			}
		})
	}
}

func TestDecodeTimeOffsSpecExample(t *testing.T) {
	items, page, err := decodeTimeOffPage(bytes.NewReader(readTestdata(t, "timeoffs_spec.json")), time.UTC, zones{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Metadata.CurrentPage.v != 1 || page.Metadata.TotalPages.v != 1 {
		t.Errorf("metadata = %+v", page.Metadata)
	}
	if len(items) != 1 {
		t.Fatalf("got %d, want 1", len(items))
	}
	got := items[0]
	want := hris.TimeOff{
		ID: 12345, EmployeeID: 4567, TypeID: 54321, TypeName: "Vacation", TypeCategory: "offsite_work",
		Status: hris.TimeOffApproved, Start: hris.NewDate(2017, 12, 27), End: hris.NewDate(2017, 12, 29),
		DaysCount: 3, CertificateStatus: "not-required",
		CreatedAt: time.Date(2017, 1, 17, 9, 32, 18, 0, time.UTC), UpdatedAt: time.Date(2017, 1, 17, 9, 32, 18, 0, time.UTC),
	}
	checkTimeOff(t, got, want)
}

func checkTimeOff(t *testing.T, got, want hris.TimeOff) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("times = %v, %v; want %v, %v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestDecodeTimeOffQuirks(t *testing.T) {
	body := `{"success":true,"metadata":{"total_elements":"3","current_page":1,"total_pages":1},"offset":"1","limit":"200","data":[
	{"type":"TimeOffPeriod","attributes":{"id":1,"status":"pending","comment":"Dentist","start_date":"2024-05-02T00:00:00+02:00",
	 "end_date":"2024-05-03T00:00:00+02:00","days_count":"1.5","half_day_start":1,"half_day_end":0,
	 "time_off_type":{"type":"TimeOffType","attributes":{"id":"9","name":"Vacation","category":"paid_vacation"}},
	 "employee":{"type":"Employee","attributes":{"id":{"label":"ID","value":77,"type":"integer"}}},
	 "certificate":{"status":"not-required"},"created_by":"Jane Doe","created_at":"2024-04-01T10:00:00+0200","updated_at":""}},
	{"type":"TimeOffPeriod","attributes":{"id":2,"start_date":"someday","end_date":null,"half_day_start":"maybe",
	 "time_off_type":"","employee":{"type":"Employee","attributes":{"id":78}}}},
	"garbage"
	]}`
	items, _, err := decodeTimeOffPage(strings.NewReader(body), time.UTC, zones{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("got %d items, want 3", len(items))
	}
	checkTimeOff(t, items[0], hris.TimeOff{
		ID: 1, EmployeeID: 77, TypeID: 9, TypeName: "Vacation", TypeCategory: "paid_vacation", Status: hris.TimeOffPending,
		Start: hris.NewDate(2024, 5, 2), End: hris.NewDate(2024, 5, 3), HalfDayStart: true, DaysCount: 1.5,
		Comment: "Dentist", CreatedBy: "Jane Doe", CertificateStatus: "not-required",
		CreatedAt: time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC),
	})
	second := items[1]
	if second.ID != 2 || second.EmployeeID != 78 || len(second.Warnings) != 2 {
		t.Errorf("second = %+v", second)
	}
	if items[2].ID != 0 || len(items[2].Warnings) == 0 {
		t.Errorf("third = %+v", items[2])
	}
}

func TestParseDateTime(t *testing.T) {
	berlin := time.FixedZone("", 3600)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2014-11-09T00:00:00+01:00", time.Date(2014, 11, 9, 0, 0, 0, 0, berlin), true},
		{"2014-11-09T00:00:00+0100", time.Date(2014, 11, 9, 0, 0, 0, 0, berlin), true},
		{"2014-11-09T00:00:00+01", time.Date(2014, 11, 9, 0, 0, 0, 0, berlin), true},
		{"2022-05-31T22:00:00.0Z", time.Date(2022, 5, 31, 22, 0, 0, 0, time.UTC), true},
		{"2022-05-31T22:00:00.123456Z", time.Date(2022, 5, 31, 22, 0, 0, 123456000, time.UTC), true},
		{"2022-05-31 22:00:00", time.Date(2022, 5, 31, 22, 0, 0, 0, time.UTC), true},
		{"2022-05-31T22:00", time.Date(2022, 5, 31, 22, 0, 0, 0, time.UTC), true},
		{"2022-05-31", time.Date(2022, 5, 31, 0, 0, 0, 0, time.UTC), true},
		{"2022-02-30", time.Time{}, false},
		{"2022-05-31T25:00:00Z", time.Time{}, false},
		{"2022-05-31T22:00:00+01:00x", time.Time{}, false},
		{"2022-05-31T", time.Time{}, false},
		{"31.05.2022", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseDateTime(tt.in, time.UTC, zones{})
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseDateTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzDecodeEmployees(f *testing.F) {
	f.Add(readTestdata(f, "employees_spec.json"))
	f.Add([]byte(employeePage(record(attr("id", `"1"`), attr("hire_date", `"2014-11-09T00:00:00+0100"`),
		attr("supervisor", `{"type":"Employee","attributes":{"id":{"value":2}}}`), attr("cost_centers", `[{"attributes":{"id":1}}]`)))))
	f.Add([]byte(`{"success":true,"data":[1,"x",null,{"attributes":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := newEmployeeDecoder(time.UTC, allFields)
		page, _, err := dec.decodePage(bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		for _, e := range page {
			if e.ID == 0 && len(e.Warnings) == 0 {
				t.Fatalf("record without id and without warning: %+v", e)
			}
		}
		// The decoder is reusable after any input.
		if _, _, err := dec.decodePage(strings.NewReader(`{"success":true,"data":[]}`), nil); err != nil {
			t.Fatalf("decoder not reusable: %v", err)
		}
	})
}

func FuzzDecodeTimeOffs(f *testing.F) {
	f.Add(readTestdata(f, "timeoffs_spec.json"))
	f.Add([]byte(`{"success":true,"data":[{"attributes":{"id":"2","half_day_start":1,"start_date":"2020-01-01T00:00:00+01:00","employee":{"attributes":{"id":3}}}}]}`))
	f.Add([]byte(`{"data":[null,[],"x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, _, err := decodeTimeOffPage(bytes.NewReader(data), time.UTC, zones{})
		if err != nil {
			return
		}
		for _, it := range items {
			if it.ID == 0 && len(it.Warnings) == 0 {
				t.Fatalf("record without id and without warning: %+v", it)
			}
		}
	})
}

// benchPage renders a page of n employees shaped like the spec example.
func benchPage(tb testing.TB, n, offset int) []byte {
	tb.Helper()
	spec := string(readTestdata(tb, "employees_spec.json"))
	start := strings.Index(spec, `{
    "type": "Employee"`)
	end := strings.LastIndex(spec, "}]")
	rec := spec[start : end+1]
	var b strings.Builder
	b.WriteString(`{"success":true,"metadata":{"total_elements":50000,"current_page":0,"total_pages":500},"offset":0,"limit":100,"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.Replace(rec, `"value": 1,`, fmt.Sprintf(`"value": %d,`, offset+i+1), 1))
	}
	b.WriteString("]}")
	return []byte(b.String())
}

func BenchmarkDecodeEmployeePage(b *testing.B) {
	body := benchPage(b, 100, 0)
	dec := newEmployeeDecoder(time.UTC, allFields)
	page := make([]hris.Employee, 0, 100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		page, _, err = dec.decodePage(bytes.NewReader(body), page[:0])
		if err != nil || len(page) != 100 {
			b.Fatal(err, len(page))
		}
	}
}
