package secrets

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := b.Seal("papi-secret-1a2b", "org:1")
	s2, _ := b.Seal("papi-secret-1a2b", "org:1")
	if s1 == s2 || strings.Contains(s1, "papi") {
		t.Fatalf("ciphertext not randomised or leaks plaintext: %s", s1)
	}
	if got, err := b.Open(s1, "org:1"); err != nil || got != "papi-secret-1a2b" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b.Open(s1, "org:2"); err != ErrDecrypt {
		t.Fatal("ciphertext opened for another owner")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(s1, "org:1"); err != ErrDecrypt {
		t.Fatal("opened with another key")
	}
	if Last4("abcdef1a2b") != "••••1a2b" || Last4("abc") != "••••" {
		t.Fatal("mask")
	}
}
