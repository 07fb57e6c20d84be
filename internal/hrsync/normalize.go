package hrsync

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/store"
)

// Warning codes, on the run and on the employee.
const (
	WarnNoID              = "no_id"
	WarnMissingEmail      = "missing_email"
	WarnInvalidEmail      = "invalid_email"
	WarnDuplicateEmail    = "duplicate_email"
	WarnUnknownSupervisor = "unknown_supervisor"
	WarnSupervisorCycle   = "supervisor_cycle"
	WarnInvalidDate       = "invalid_date"
	WarnInvalidValue      = "invalid_value"
	WarnMissingAttributes = "missing_attributes"
)

// Scope reasons: the filter that excludes an employee.
const (
	ScopeSubcompany     = "subcompany"
	ScopeStatus         = "status"
	ScopeOffice         = "office"
	ScopeEmploymentType = "employment_type"
)

// dateField reports the attributes that hold dates.
func dateField(key string) bool {
	switch key {
	case "hire_date", "contract_end_date", "termination_date", "last_working_day", "probation_period_end",
		"created_at", "last_modified_at":
		return true
	}
	return false
}

// scope applies the sync filters of the settings. An empty list does not
// filter. Values match names case-insensitively, or ids.
type scope struct {
	subcompanies, statuses, offices, employmentTypes map[string]bool
}

func newScope(st *store.SyncSettings) (scope, error) {
	var sc scope
	for _, f := range []struct {
		name string
		raw  string
		dst  *map[string]bool
	}{
		{ScopeSubcompany, st.FilterSubcompanies, &sc.subcompanies},
		{ScopeStatus, st.FilterStatuses, &sc.statuses},
		{ScopeOffice, st.FilterOffices, &sc.offices},
		{ScopeEmploymentType, st.FilterEmploymentTypes, &sc.employmentTypes},
	} {
		var vals []string
		if strings.TrimSpace(f.raw) != "" {
			if err := json.Unmarshal([]byte(f.raw), &vals); err != nil {
				return scope{}, fmt.Errorf("%s filter of the sync settings is not a JSON list: %w", f.name, err)
			}
		}
		if len(vals) == 0 {
			continue
		}
		m := make(map[string]bool, len(vals))
		for _, v := range vals {
			if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
				m[v] = true
			}
		}
		if len(m) > 0 {
			*f.dst = m
		}
	}
	return sc, nil
}

func matchName(filter map[string]bool, name string) bool {
	return filter == nil || filter[strings.ToLower(strings.TrimSpace(name))]
}

func matchRef(filter map[string]bool, r hris.Ref) bool {
	if filter == nil {
		return true
	}
	return matchName(filter, r.Name) || (r.ID != 0 && filter[strconv.FormatInt(r.ID, 10)])
}

// reason returns "" when e is in scope, else the first excluding filter.
func (sc scope) reason(e *hris.Employee) string {
	switch {
	case !matchRef(sc.subcompanies, e.Subcompany):
		return ScopeSubcompany
	case !matchName(sc.statuses, string(e.Status)):
		return ScopeStatus
	case !matchRef(sc.offices, e.Office):
		return ScopeOffice
	case !matchName(sc.employmentTypes, e.EmploymentType):
		return ScopeEmploymentType
	}
	return ""
}

// record is the normalised form of an employee: what the mirror stores and
// what raw_hash covers.
type record struct {
	FirstName, LastName, PreferredName, Email, Status, Position, EmploymentType string
	Department, Team, Office, Subcompany                                        hris.Ref
	SupervisorID                                                                int64
	HireDate, LastWorkingDay, TerminationDate, ContractEndDate                  string
	WeeklyHours                                                                 float64
	ProfilePictureURL                                                           string
	CostCenters                                                                 []store.HRCostCenter
	Custom                                                                      map[string]hris.AttributeValue
	Warnings                                                                    []store.EmployeeWarning
}

// hash is the hex SHA-256 (first 16 bytes) of the record's fields, each
// followed by a separator, then its JSON columns. buf is scratch space.
func (r *record) hash(buf []byte, ccJSON, customJSON, warnJSON []byte) ([]byte, string) {
	b := buf[:0]
	str := func(s string) { b = append(append(b, s...), 0) }
	num := func(n int64) { b = append(strconv.AppendInt(b, n, 10), 0) }
	ref := func(x hris.Ref) { num(x.ID); str(x.Name) }
	str(r.FirstName)
	str(r.LastName)
	str(r.PreferredName)
	str(r.Email)
	str(r.Status)
	str(r.Position)
	str(r.EmploymentType)
	ref(r.Department)
	ref(r.Team)
	ref(r.Office)
	ref(r.Subcompany)
	num(r.SupervisorID)
	str(r.HireDate)
	str(r.LastWorkingDay)
	str(r.TerminationDate)
	str(r.ContractEndDate)
	b = append(strconv.AppendFloat(b, r.WeeklyHours, 'g', -1, 64), 0)
	str(r.ProfilePictureURL)
	b = append(append(append(append(append(b, ccJSON...), 0), customJSON...), 0), warnJSON...)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:16])
}

// normalizer turns provider records into mirror rows. normalize is called
// by the goroutine that writes the pages; prepare, by the one that fetches
// them, normalises a page ahead so that the writer finds its records done.
type normalizer struct {
	scope scope
	// secretKeys are the configured bank-detail attributes, never copied
	// into the mirror (see secret).
	secretKeys map[string]bool
	// buf and prepBuf are scratch space for hashing, of normalize and of
	// prepare.
	buf, prepBuf []byte

	mu sync.Mutex
	// ready are the pages prepare normalised that normalize has not
	// finished with, oldest first.
	ready []*preparedPage
}

// preparedPage is one page that prepare normalised.
type preparedPage struct {
	at  map[*hris.Employee]int // record → index in out
	out []normalized
}

// normalized is normalize's result for one record.
type normalized struct {
	row store.HREmployee
	ws  []store.EmployeeWarning
	err error
}

// maxReadyPages bounds the prepared pages kept for normalize: pages the
// writer never asks for (a failed run) are dropped oldest first.
const maxReadyPages = 64

func newNormalizer(st *store.SyncSettings) (*normalizer, error) {
	sc, err := newScope(st)
	if err != nil {
		return nil, err
	}
	n := &normalizer{scope: sc, secretKeys: map[string]bool{}, buf: make([]byte, 0, 4096), prepBuf: make([]byte, 0, 4096)}
	for _, k := range []string{st.IBANAttribute, st.BICAttribute, st.HolderAttribute} {
		if k = strings.TrimSpace(k); k != "" {
			n.secretKeys[k] = true
		}
	}
	return n, nil
}

// secret reports an attribute that must not be copied into the mirror in
// plain text: bank details (the configured keys, or recognised by universal
// id or label; the reimbursement import stores them encrypted) and pay.
func (n *normalizer) secret(key string, v hris.AttributeValue) bool {
	if n.secretKeys[key] {
		return true
	}
	switch strings.ToLower(v.UniversalID) {
	case "iban", "bic", "account_holder", "bank_account_holder":
		return true
	}
	if strings.Contains(strings.ToLower(key), "salary") {
		return true
	}
	label := strings.ToLower(v.Label)
	if strings.Contains(label, "account holder") {
		return true
	}
	for _, w := range strings.FieldsFunc(label, func(r rune) bool { return !unicode.IsLetter(r) }) {
		switch w {
		case "iban", "bic", "swift", "bank", "kontoinhaber", "salary", "gehalt":
			return true
		}
	}
	return false
}

// prepare normalises the records of page (those with an ID) for later
// normalize calls with the same records. Only one goroutine may prepare.
func (n *normalizer) prepare(page []hris.Employee) {
	pp := &preparedPage{at: make(map[*hris.Employee]int, len(page)), out: make([]normalized, 0, len(page))}
	for i := range page {
		e := &page[i]
		if e.ID == 0 {
			continue
		}
		var r normalized
		r.row, r.ws, n.prepBuf, r.err = n.convert(e, n.prepBuf)
		pp.at[e] = len(pp.out)
		pp.out = append(pp.out, r)
	}
	n.mu.Lock()
	if len(n.ready) >= maxReadyPages {
		n.ready = slices.Delete(n.ready, 0, 1)
	}
	n.ready = append(n.ready, pp)
	n.mu.Unlock()
}

// prepared returns what prepare made of e, if it did. Pages are written in
// the order they were prepared: the pages before e's are done with.
func (n *normalizer) prepared(e *hris.Employee) (normalized, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, pp := range n.ready {
		if i, ok := pp.at[e]; ok {
			n.ready = slices.Delete(n.ready, 0, k)
			return pp.out[i], true
		}
	}
	return normalized{}, false
}

// normalize converts e (ID ≠ 0) into a mirror row without bookkeeping
// columns, its scope reason and its record warnings.
func (n *normalizer) normalize(e *hris.Employee) (store.HREmployee, []store.EmployeeWarning, error) {
	if r, ok := n.prepared(e); ok {
		return r.row, r.ws, r.err
	}
	row, ws, buf, err := n.convert(e, n.buf)
	n.buf = buf
	return row, ws, err
}

// convert is normalize without the prepared pages; buf is scratch space,
// returned for reuse.
func (n *normalizer) convert(e *hris.Employee, buf []byte) (store.HREmployee, []store.EmployeeWarning, []byte, error) {
	rec := record{
		FirstName: strings.TrimSpace(e.FirstName), LastName: strings.TrimSpace(e.LastName),
		PreferredName: strings.TrimSpace(e.PreferredName), Email: normalizeEmail(e.Email),
		Status: string(e.Status), Position: strings.TrimSpace(e.Position), EmploymentType: e.EmploymentType,
		Department: e.Department, Team: e.Team, Office: e.Office, Subcompany: e.Subcompany,
		HireDate: e.HireDate.String(), LastWorkingDay: e.LastWorkingDay.String(),
		TerminationDate: e.TerminationDate.String(), ContractEndDate: e.ContractEndDate.String(),
		WeeklyHours: e.WeeklyHours, ProfilePictureURL: e.ProfilePictureURL,
	}
	if e.SupervisorID != nil {
		rec.SupervisorID = *e.SupervisorID
	}
	for _, c := range e.CostCenters {
		rec.CostCenters = append(rec.CostCenters, store.HRCostCenter{ID: c.ID, Name: c.Name, Percentage: c.Percentage})
	}
	for k, v := range e.Custom {
		if n.secret(k, v) {
			continue
		}
		if rec.Custom == nil {
			rec.Custom = make(map[string]hris.AttributeValue, len(e.Custom))
		}
		rec.Custom[k] = v
	}
	rec.Warnings = recordWarnings(e, rec.Email)

	ccJSON, err := json.Marshal(nonNil(rec.CostCenters))
	if err != nil {
		return store.HREmployee{}, nil, buf, fmt.Errorf("encode cost centers of employee %d: %w", e.ID, err)
	}
	customJSON := []byte("{}")
	if len(rec.Custom) > 0 {
		if customJSON, err = marshalCustom(rec.Custom); err != nil {
			return store.HREmployee{}, nil, buf, fmt.Errorf("encode attributes of employee %d: %w", e.ID, err)
		}
	}
	warnJSON, err := json.Marshal(nonNil(rec.Warnings))
	if err != nil {
		return store.HREmployee{}, nil, buf, fmt.Errorf("encode warnings of employee %d: %w", e.ID, err)
	}
	var hash string
	buf, hash = rec.hash(buf, ccJSON, customJSON, warnJSON)
	row := store.HREmployee{
		PersonioID: e.ID, FirstName: rec.FirstName, LastName: rec.LastName, PreferredName: rec.PreferredName,
		Email: rec.Email, Status: rec.Status, Position: rec.Position, EmploymentType: rec.EmploymentType,
		DepartmentID: rec.Department.ID, DepartmentName: rec.Department.Name,
		TeamID: rec.Team.ID, TeamName: rec.Team.Name, OfficeID: rec.Office.ID, OfficeName: rec.Office.Name,
		SubcompanyID: rec.Subcompany.ID, SubcompanyName: rec.Subcompany.Name,
		CostCenters: string(ccJSON), CostCenterNames: costCenterNames(rec.CostCenters),
		HireDate: rec.HireDate, LastWorkingDay: rec.LastWorkingDay, TerminationDate: rec.TerminationDate,
		ContractEndDate: rec.ContractEndDate, WeeklyHours: rec.WeeklyHours, ProfilePictureURL: rec.ProfilePictureURL,
		Custom: string(customJSON), SearchText: searchText(&rec),
		RawHash: hash, Warnings: string(warnJSON),
	}
	if rec.SupervisorID != 0 {
		row.SupervisorID = &rec.SupervisorID
	}
	if !e.LastModifiedAt.IsZero() {
		t := e.LastModifiedAt.UTC()
		row.PersonioUpdatedAt = &t
	}
	row.ScopeReason = n.scope.reason(e)
	row.InScope = row.ScopeReason == ""
	return row, rec.Warnings, buf, nil
}

// marshalCustom is json.Marshal(custom), byte for byte (raw_hash covers
// it), without reflection: the attributes are most of a record's JSON.
func marshalCustom(custom map[string]hris.AttributeValue) ([]byte, error) {
	keys := make([]string, 0, len(custom))
	size := 2
	for k, v := range custom {
		keys = append(keys, k)
		size += len(k) + len(v.Label) + len(v.Type) + len(v.UniversalID) + len(v.Value) + len(v.Raw) + 64
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		v := custom[k]
		b = appendJSONString(b, k)
		b = append(b, ':', '{')
		first := true
		field := func(name, val string) {
			if val == "" {
				return
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(append(append(b, '"'), name...), '"', ':')
			b = appendJSONString(b, val)
		}
		field("label", v.Label)
		field("type", v.Type)
		field("universal_id", v.UniversalID)
		field("value", v.Value)
		if len(v.Raw) > 0 {
			if !first {
				b = append(b, ',')
			}
			b = append(b, `"raw":`...)
			if plainJSON(v.Raw) && json.Valid(v.Raw) {
				b = append(b, v.Raw...)
			} else {
				raw, err := json.Marshal(v.Raw)
				if err != nil {
					return nil, err
				}
				b = append(b, raw...)
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as encoding/json writes it: plain printable
// ASCII as is, anything else (quotes, escapes, HTML characters, non-ASCII)
// through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// plainJSON reports JSON text that encoding/json's compaction leaves as it
// is: no whitespace, no HTML characters, ASCII only.
func plainJSON(raw []byte) bool {
	for _, c := range raw {
		switch {
		case c <= ' ', c >= 0x7f, c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func costCenterNames(cs []store.HRCostCenter) string {
	if len(cs) == 0 {
		return ""
	}
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		if n := strings.ReplaceAll(strings.TrimSpace(c.Name), "|", "/"); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "|" + strings.Join(names, "|") + "|"
}

func searchText(r *record) string {
	return strings.ToLower(strings.Join([]string{r.FirstName, r.LastName, r.PreferredName, r.Email}, " "))
}

// recordWarnings lists the problems of one record on its own.
func recordWarnings(e *hris.Employee, email string) []store.EmployeeWarning {
	var ws []store.EmployeeWarning
	switch {
	case email == "":
		ws = append(ws, store.EmployeeWarning{Code: WarnMissingEmail, Field: "email", Message: "No email address in the HR system: the employee cannot be invited or linked."})
	case !validEmail(email):
		ws = append(ws, store.EmployeeWarning{Code: WarnInvalidEmail, Field: "email", Message: "The email address is not valid: the employee cannot be invited or linked."})
	}
	for _, w := range e.Warnings {
		code := WarnInvalidValue
		if dateField(w.Field) {
			code = WarnInvalidDate
		}
		ws = append(ws, store.EmployeeWarning{Code: code, Field: w.Field, Message: w.Message})
	}
	if len(e.Missing) > 0 {
		missing := slices.Sorted(slices.Values(e.Missing))
		ws = append(ws, store.EmployeeWarning{Code: WarnMissingAttributes, Field: strings.Join(missing, ","),
			Message: "Not readable with this credential: " + strings.Join(missing, ", ") + "."})
	}
	return ws
}

func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n") && strings.Contains(s[at+1:], ".")
}

// runWarning turns employee warnings into run warnings, one per code.
func runWarnings(orgID, runID, personioID int64, ws []store.EmployeeWarning, now time.Time) []store.SyncRunWarning {
	out := make([]store.SyncRunWarning, 0, len(ws))
	seen := map[string]int{}
	for _, w := range ws {
		if i, ok := seen[w.Code]; ok {
			out[i].Message += " " + w.Message
			continue
		}
		seen[w.Code] = len(out)
		msg := w.Message
		if w.Field != "" && w.Code != WarnMissingAttributes && w.Code != WarnMissingEmail && w.Code != WarnInvalidEmail {
			msg = w.Field + ": " + msg
		}
		out = append(out, store.SyncRunWarning{RunID: runID, OrgID: orgID, PersonioID: personioID, Code: w.Code, Message: msg, CreatedAt: now})
	}
	return out
}
