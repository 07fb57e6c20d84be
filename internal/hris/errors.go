package hris

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kinds of failure. Errors returned by a Provider match one of them with
// errors.Is (a failure of the caller's context matches context.Canceled or
// context.DeadlineExceeded instead).
var (
	// ErrBadCredentials: the HR system rejected the client ID or secret.
	ErrBadCredentials = errors.New("credentials rejected")
	// ErrForbidden: the credential lacks a scope or attribute for the request.
	ErrForbidden = errors.New("permission missing")
	// ErrNotFound: the record does not exist (or is not readable).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the HR system rejected the request's data (400/422).
	ErrInvalid = errors.New("request rejected")
	// ErrRateLimited: the rate limit stayed exhausted after all retries.
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: the HR system failed (5xx) after all retries.
	ErrServer = errors.New("server error")
	// ErrMalformed: the response could not be read.
	ErrMalformed = errors.New("malformed response")
	// ErrUnreachable: no response arrived (connection failure or timeout).
	ErrUnreachable = errors.New("unreachable")
	// ErrAmbiguous: a write may or may not have been applied. It is matched
	// in addition to the kind of the failure (e.g. ErrServer).
	ErrAmbiguous = errors.New("outcome unknown")
)

// Error is a failed request to an HR system. Its fields never contain
// credentials or tokens.
type Error struct {
	// Provider names the HR system in messages, e.g. "Personio".
	Provider string
	Kind     error  // one of the Err* kinds above (not ErrAmbiguous)
	Op       string // e.g. "list employees"
	// Method and Path of the failed request ("" before any request).
	Method, Path string
	// URL is the base URL of the HR system, for messages about reachability.
	URL string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Message is the HR system's own explanation, if it sent one.
	Message string
	// RetryAfter is how long the HR system asked to wait (rate limits).
	RetryAfter time.Duration
	// Timeout is set when no response arrived in time.
	Timeout bool
	// Ambiguous is set when a write may have been applied despite the error.
	Ambiguous bool
	// Err is the underlying cause, if any.
	Err error
}

// Error formats op, kind, status and the HR system's message.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.UserMessage())
	if e.Method != "" && e.Status != 0 {
		fmt.Fprintf(&b, " (%s %s: HTTP %d)", e.Method, e.Path, e.Status)
	} else if e.Err != nil && e.Kind != ErrUnreachable {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	return b.String()
}

// Unwrap returns the kind, ErrAmbiguous when set, and the cause.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 3)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Ambiguous {
		errs = append(errs, ErrAmbiguous)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// UserMessage is a sentence suitable for showing next to a form.
func (e *Error) UserMessage() string {
	msg := capitalise(e.kindMessage())
	if e.Ambiguous {
		msg += " The change may have been saved anyway; check before trying again."
	}
	return msg
}

func (e *Error) provider() string {
	if e.Provider == "" {
		return "the HR system"
	}
	return e.Provider
}

func (e *Error) kindMessage() string {
	p := e.provider()
	switch e.Kind {
	case ErrBadCredentials:
		return p + " rejected the client ID or secret." + e.detail()
	case ErrForbidden:
		return "The " + p + " credential is not allowed to do this (missing scope or attribute)." + e.detail()
	case ErrNotFound:
		return p + " could not find the requested record." + e.detail()
	case ErrInvalid:
		return p + " rejected the request." + e.detail()
	case ErrRateLimited:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("%s's rate limit is exhausted; try again in %s.", p, e.RetryAfter.Round(time.Second))
		}
		return p + "'s rate limit is exhausted; try again in a minute."
	case ErrServer:
		if e.Status == 401 {
			// Tokens refused right after the credentials were accepted
			// (see the Personio client's re-authentication).
			return p + " refused the access tokens it had just issued (HTTP 401), although it accepted the credentials themselves; try again later."
		}
		if e.Status != 0 {
			return fmt.Sprintf("%s had a server error (HTTP %d); try again later.", p, e.Status)
		}
		return p + " had a server error; try again later."
	case ErrMalformed:
		return p + " sent a response that could not be read." + e.causeDetail()
	case ErrUnreachable:
		where := e.URL
		if where == "" {
			where = p
		}
		if e.Timeout {
			return fmt.Sprintf("%s did not answer in time.", where)
		}
		return fmt.Sprintf("Could not reach %s: %s.", where, causeText(e.Err))
	}
	if e.Kind != nil {
		return e.Kind.Error() + e.detail()
	}
	return "The request to " + p + " failed." + e.detail()
}

func (e *Error) detail() string {
	if e.Message == "" {
		return ""
	}
	return " " + e.provider() + " says: " + strings.TrimSuffix(e.Message, ".") + "."
}

func (e *Error) causeDetail() string {
	if e.Err == nil {
		return ""
	}
	return " (" + e.Err.Error() + ")"
}

// capitalise starts a sentence that begins with the default provider name.
func capitalise(s string) string {
	if strings.HasPrefix(s, "the ") {
		return "T" + s[1:]
	}
	return s
}

func causeText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// UserMessage returns a sentence about err suitable for showing next to a
// form: the message of an *Error, or a generic one.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.UserMessage()
	}
	return "The request to the HR system failed: " + err.Error()
}
