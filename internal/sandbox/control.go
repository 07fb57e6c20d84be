package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// The control API under /sandbox drives the demo company in tests and demos.
// It needs no authentication and speaks plain JSON; errors are
// {"error": "..."} with 400 (invalid JSON), 404 (unknown id), 409 (overlap)
// or 422 (validation). See README.md.

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeControlError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func pathID(w http.ResponseWriter, r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeControlError(w, http.StatusNotFound, "invalid id "+strconv.Quote(r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func writeControlResult(w http.ResponseWriter, okStatus int, v any, err error) {
	switch {
	case err == nil:
		writeJSON(w, okStatus, v)
	case errors.Is(err, ErrEmployeeNotFound), errors.Is(err, ErrTimeOffNotFound),
		errors.Is(err, ErrTimeOffTypeNotFound), errors.Is(err, ErrAttendanceNotFound):
		// A missing supervisor is a validation problem of the body.
		if errors.Is(err, ErrEmployeeNotFound) && err != ErrEmployeeNotFound {
			writeControlError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		writeControlError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrOverlap):
		writeControlError(w, http.StatusConflict, err.Error())
	default:
		writeControlError(w, http.StatusUnprocessableEntity, err.Error())
	}
}

func (s *Server) handleCtlHire(w http.ResponseWriter, r *http.Request) {
	var in EmployeeInput
	if !decodeControl(w, r, &in) {
		return
	}
	e, err := s.Hire(in)
	writeControlResult(w, http.StatusCreated, e, err)
}

func (s *Server) handleCtlEmployee(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	e, found := s.Employee(id)
	if !found {
		writeControlError(w, http.StatusNotFound, ErrEmployeeNotFound.Error())
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) handleCtlUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in EmployeeInput
	if !decodeControl(w, r, &in) {
		return
	}
	e, err := s.Update(id, in)
	writeControlResult(w, http.StatusOK, e, err)
}

func (s *Server) handleCtlTransfer(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in Transfer
	if !decodeControl(w, r, &in) {
		return
	}
	e, err := s.Transfer(id, in)
	writeControlResult(w, http.StatusOK, e, err)
}

func (s *Server) handleCtlTerminate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in Termination
	if !decodeControl(w, r, &in) {
		return
	}
	e, err := s.Terminate(id, in)
	writeControlResult(w, http.StatusOK, e, err)
}

func (s *Server) handleCtlRehire(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in Rehire
	if !decodeControl(w, r, &in) {
		return
	}
	e, err := s.Rehire(id, in)
	writeControlResult(w, http.StatusOK, e, err)
}

func (s *Server) handleCtlDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.Delete(id); err != nil {
		writeControlResult(w, http.StatusOK, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCtlAddTimeOff(w http.ResponseWriter, r *http.Request) {
	var in TimeOffInput
	if !decodeControl(w, r, &in) {
		return
	}
	t, err := s.AddTimeOff(in)
	writeControlResult(w, http.StatusCreated, t, err)
}

func (s *Server) handleCtlDeleteTimeOff(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.DeleteTimeOff(id); err != nil {
		writeControlResult(w, http.StatusOK, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCtlGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) handleCtlSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if !decodeControl(w, r, &f) {
		return
	}
	if err := s.SetFaults(f); err != nil {
		writeControlResult(w, http.StatusOK, nil, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) handleCtlClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCtlStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) handleCtlResetStats(w http.ResponseWriter, _ *http.Request) {
	s.ResetStats()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCtlRateLimits(w http.ResponseWriter, _ *http.Request) {
	limits := s.RateLimits()
	if limits == nil {
		limits = []RateLimit{}
	}
	writeJSON(w, http.StatusOK, struct {
		Enabled bool        `json:"enabled"`
		Limits  []RateLimit `json:"limits"`
	}{s.limits.enabled, limits})
}

func (s *Server) handleCtlAttendance(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.AttendancePeriods())
}

func (s *Server) handleCtlReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	writeJSON(w, http.StatusOK, struct {
		Employees int `json:"employees"`
	}{s.EmployeeCount()})
}
