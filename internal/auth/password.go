// Package auth holds credentials primitives: password hashing and rules,
// random tokens, and login throttling.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

var common = map[string]bool{
	"password123": true, "passwort123": true, "1234567890": true, "qwertyuiop": true,
	"password1234": true, "letmein1234": true, "welcome1234": true, "iloveyou123": true,
	"administrator": true, "0123456789": true, "abcdefghij": true, "qwertzuiop": true,
}

// ValidatePassword explains why a password is too weak, or returns nil.
func ValidatePassword(pw, email string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return errors.New("Use at least 10 characters.")
	case len(pw) > 72:
		return errors.New("Use at most 72 bytes.")
	case common[strings.ToLower(pw)]:
		return errors.New("This password is too common; choose another.")
	case email != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(strings.SplitN(email, "@", 2)[0])) && len(strings.SplitN(email, "@", 2)[0]) >= 4:
		return errors.New("The password must not contain your email name.")
	case distinct(pw) < 4:
		return errors.New("Use a mix of at least 4 different characters.")
	}
	return nil
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// Hasher hashes passwords with bcrypt at a configurable cost.
type Hasher struct{ Cost int }

// Hash returns the bcrypt hash of pw.
func (h Hasher) Hash(pw string) (string, error) {
	cost := h.Cost
	if cost == 0 {
		cost = 12
	}
	b, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(b), err
}

// Check reports whether pw matches hash.
func (Hasher) Check(hash, pw string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// dummyHash is compared against when no account exists, so timing does not reveal it.
const dummyHash = "$2a$10$7EqJtq98hPqEX7fNZaFWoO5rF1r1u0m9xq5QxLr3H9pQ2m7v2XQ5y"

// CheckDummy spends the time of a hash comparison.
func (Hasher) CheckDummy(pw string) {
	_ = bcrypt.CompareHashAndPassword([]byte(dummyHash), []byte(pw))
}

// NewToken returns a random URL-safe token and its SHA-256 hex hash (what is stored).
func NewToken() (raw, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	raw = base64.RawURLEncoding.EncodeToString(b)
	return raw, HashToken(raw)
}

// HashToken returns the SHA-256 hex of a token.
func HashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}
