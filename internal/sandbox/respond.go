package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, "application/json", v)
}

func writeJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, contentType, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func writeRaw(w http.ResponseWriter, status int, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// v1Error is Personio's v1 error envelope (NOTES.md §4.2). error.code is
// often 0 rather than the HTTP status.
type v1Error struct {
	Success bool        `json:"success"`
	Error   v1ErrorBody `json:"error"`
}

type v1ErrorBody struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	ErrorData any    `json:"error_data,omitempty"`
}

func writeV1Error(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, v1Error{Error: v1ErrorBody{Code: code, Message: message}})
}

func writeV1ValidationError(w http.ResponseWriter, fields map[string][]string) {
	writeJSON(w, http.StatusUnprocessableEntity, v1Error{Error: v1ErrorBody{
		Code: 0, Message: "The given data failed to pass validation.", ErrorData: fields,
	}})
}

// problem is the v2 ErrorResponse of common-components-v2.json.
type problem struct {
	TraceID   string         `json:"personio_trace_id"`
	Timestamp string         `json:"timestamp"`
	Errors    []problemError `json:"errors"`
}

type problemError struct {
	Title  string            `json:"title"`
	Detail string            `json:"detail"`
	Type   string            `json:"type"`
	Meta   map[string]string `json:"_meta"`
}

func (s *Server) writeProblem(w http.ResponseWriter, status int, title, detail, anchor string) {
	s.writeProblemMeta(w, status, title, detail, anchor, nil)
}

func (s *Server) writeProblemMeta(w http.ResponseWriter, status int, title, detail, anchor string, meta map[string]string) {
	if meta == nil {
		meta = map[string]string{}
	}
	writeJSONType(w, status, "application/problem+json", problem{
		TraceID:   s.traceID(),
		Timestamp: s.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Errors:    []problemError{{Title: title, Detail: detail, Type: errorsDoc + anchor, Meta: meta}},
	})
}

type controlError struct {
	Error string `json:"error"`
}

func writeControlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, controlError{Error: msg})
}
