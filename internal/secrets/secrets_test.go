package secrets

import (
	"bytes"
	"errors"
	"fmt"
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

// legacySeal produces a value in the format sealed before key ids existed
// ("v1:<base64>"), as older Roster versions stored them.
func legacySeal(t *testing.T, master []byte, plaintext, associated string) string {
	t.Helper()
	b, err := New(master)
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Seal(plaintext, associated)
	if err != nil {
		t.Fatal(err)
	}
	id := SealedKeyID(s)
	if id == "" || !strings.HasPrefix(s, "v1:"+id+":") {
		t.Fatalf("sealed value carries no key id: %s", s)
	}
	return "v1:" + strings.TrimPrefix(s, "v1:"+id+":")
}

func TestKeyIDsAndRotation(t *testing.T) {
	oldKey, newKey, otherKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	oldBox, _ := New(oldKey)
	newOnly, _ := New(newKey)
	both, err := New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	oldID, _ := KeyID(oldKey)
	newID, _ := KeyID(newKey)
	if oldID == newID || len(newID) != 8 || both.CurrentKeyID() != newID || oldBox.CurrentKeyID() != oldID {
		t.Fatalf("key ids: old %q new %q current %q", oldID, newID, both.CurrentKeyID())
	}
	if strings.Contains(newID, fmt.Sprintf("%x", newKey[:4])) {
		t.Fatal("the key id must not be the key's own bytes")
	}

	const aad, secret = "org:1:hr_client_secret", "papi-client-secret-9f8e"
	legacy := legacySeal(t, oldKey, secret, aad)
	underOld, _ := oldBox.Seal(secret, aad)
	underNew, _ := both.Seal(secret, aad)
	if SealedKeyID(underNew) != newID || SealedKeyID(underOld) != oldID || SealedKeyID(legacy) != "" {
		t.Fatalf("sealed key ids: %q %q %q", SealedKeyID(underNew), SealedKeyID(underOld), SealedKeyID(legacy))
	}
	// With both keys every form opens; the new key alone opens only its own.
	for name, v := range map[string]string{"legacy": legacy, "old": underOld, "new": underNew} {
		if got, err := both.Open(v, aad); err != nil || got != secret {
			t.Fatalf("box with both keys cannot open the %s value: %v", name, err)
		}
		if _, err := both.Open(v, "org:2:hr_client_secret"); err != ErrDecrypt {
			t.Fatalf("%s value opened for another owner", name)
		}
	}
	if _, err := newOnly.Open(underOld, aad); err != ErrDecrypt {
		t.Fatal("the new key alone opened a value sealed under the old key")
	}
	if _, err := newOnly.Open(legacy, aad); err != ErrDecrypt {
		t.Fatal("the new key alone opened a legacy value sealed under the old key")
	}
	if _, err := oldBox.Open(underNew, aad); err != ErrDecrypt {
		t.Fatal("the old key opened a value sealed under the new key")
	}

	// Reseal moves old and legacy values to the new key and leaves new ones alone.
	for name, v := range map[string]string{"legacy": legacy, "old": underOld} {
		out, changed, err := both.Reseal(v, aad)
		if err != nil || !changed || out == v || SealedKeyID(out) != newID {
			t.Fatalf("reseal %s: changed %v err %v out %s", name, changed, err, out)
		}
		if got, err := newOnly.Open(out, aad); err != nil || got != secret {
			t.Fatalf("resealed %s value does not open with the new key alone: %v", name, err)
		}
		if _, err := oldBox.Open(out, aad); err != ErrDecrypt {
			t.Fatalf("resealed %s value still opens with the old key", name)
		}
		if strings.Contains(out, secret) {
			t.Fatal("resealed value leaks the plaintext")
		}
	}
	if out, changed, err := both.Reseal(underNew, aad); err != nil || changed || out != underNew {
		t.Fatalf("reseal of a value under the new key must change nothing: %v %v", changed, err)
	}
	// A legacy value sealed with the new key gains the key id.
	legacyNew := legacySeal(t, newKey, secret, aad)
	if out, changed, err := newOnly.Reseal(legacyNew, aad); err != nil || !changed || SealedKeyID(out) != newID {
		t.Fatalf("legacy value under the new key: %v %v", changed, err)
	}

	// Values neither key opens fail, without the value in the error.
	otherBox, _ := New(otherKey)
	foreign, _ := otherBox.Seal(secret, aad)
	for name, v := range map[string]string{
		"foreign key":    foreign,
		"foreign legacy": legacySeal(t, otherKey, secret, aad),
		"garbage":        "not a sealed value",
		"bad base64":     "v1:" + newID + ":!!!",
		"tampered":       underNew[:len(underNew)-2] + "AA",
		"empty":          "",
	} {
		_, _, err := both.Reseal(v, aad)
		if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("reseal %s: want ErrDecrypt, got %v", name, err)
		}
		if v != "" && strings.Contains(err.Error(), v) || strings.Contains(err.Error(), secret) {
			t.Fatalf("error leaks the value: %v", err)
		}
	}
	if _, _, err := both.Reseal(foreign, aad); !strings.Contains(err.Error(), SealedKeyID(foreign)) {
		t.Fatalf("a value under an unknown key should name that key id: %v", err)
	}

	// Empty previous keys are ignored; the same key twice is one key.
	if b, err := New(newKey, nil, newKey); err != nil || len(b.keys) != 1 {
		t.Fatalf("New with empty and repeated keys: %v", err)
	}
	if _, err := New(nil); err == nil {
		t.Fatal("New without a key must fail")
	}
}

func TestAssociatedData(t *testing.T) {
	if HRClientSecretAAD(7) != "org:7:hr_client_secret" || BankDetailAAD(7, 42) != "org:7:user:42:bank" {
		t.Fatalf("associated data changed: %q %q (every stored value would stop opening)", HRClientSecretAAD(7), BankDetailAAD(7, 42))
	}
}
