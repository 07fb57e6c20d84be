// Package secrets encrypts values at rest with AES-256-GCM under a key derived
// from ROSTER_SECRET_KEY.
//
// A sealed value reads "v1:<key id>:<base64 nonce+ciphertext>" ("v1" is the
// scheme: AES-256-GCM under an HKDF-derived key). The key id is a short
// fingerprint of the master key (8 hex characters, derived with HKDF, so it
// reveals nothing about the key) and tells which key sealed the value.
// Values sealed before key ids existed read "v1:<base64>" (base64 has no
// ":", so the two forms cannot be confused) and are opened by trying every
// configured key.
//
// A Box holds the current key and, during a key rotation, the previous one:
// it opens values sealed under either and always seals under the current key.
// `roster keys rotate` re-seals every stored value with Reseal.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const (
	prefix  = "v1:"
	idLen   = 8 // hex characters of a key id
	idBytes = idLen / 2
)

// ErrDecrypt means the ciphertext is damaged or was sealed under another key.
var ErrDecrypt = errors.New("secret cannot be decrypted (wrong ROSTER_SECRET_KEY?)")

type key struct {
	id   string
	aead cipher.AEAD
}

// Box seals and opens secrets.
type Box struct{ keys []key } // keys[0] seals; every key opens

// New derives the encryption keys from 32-byte master keys: current seals
// and opens; previous keys (empty ones are ignored) only open. Pass the
// previous key while a key rotation is under way.
func New(current []byte, previous ...[]byte) (*Box, error) {
	if len(current) == 0 {
		return nil, errors.New("secrets: no master key")
	}
	b := &Box{}
	for _, master := range append([][]byte{current}, previous...) {
		if len(master) == 0 {
			continue
		}
		k, err := deriveKey(master)
		if err != nil {
			return nil, err
		}
		if b.index(k.id) >= 0 {
			continue // the same key given twice
		}
		b.keys = append(b.keys, k)
	}
	return b, nil
}

func deriveKey(master []byte) (key, error) {
	enc, err := hkdf.Key(sha256.New, master, nil, "roster secrets at rest v1", 32)
	if err != nil {
		return key{}, err
	}
	block, err := aes.NewCipher(enc)
	if err != nil {
		return key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, err
	}
	id, err := KeyID(master)
	if err != nil {
		return key{}, err
	}
	return key{id: id, aead: aead}, nil
}

// KeyID is the fingerprint of a master key that sealed values carry: 8 hex
// characters derived with HKDF (safe to print; it reveals nothing of the key).
func KeyID(master []byte) (string, error) {
	fp, err := hkdf.Key(sha256.New, master, nil, "roster secrets key id v1", idBytes)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(fp), nil
}

func (b *Box) index(id string) int {
	for i, k := range b.keys {
		if k.id == id {
			return i
		}
	}
	return -1
}

// CurrentKeyID is the id of the key that seals.
func (b *Box) CurrentKeyID() string { return b.keys[0].id }

// Seal encrypts plaintext under the current key; associated binds it to its
// owner (e.g. "org:7:hr_client_secret") so a ciphertext copied to another
// row does not open.
func (b *Box) Seal(plaintext, associated string) (string, error) {
	k := b.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(associated))
	return prefix + k.id + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value produced by Seal with the same associated data,
// under whichever configured key sealed it.
func (b *Box) Open(sealed, associated string) (string, error) {
	pt, _, err := b.open(sealed, associated)
	return pt, err
}

// SealedKeyID returns the key id a sealed value carries: "" for values
// sealed before key ids existed (and for anything that is not a sealed value).
func SealedKeyID(sealed string) string {
	id, _, ok := split(sealed)
	if !ok || !validID(id) {
		return ""
	}
	return id
}

// validID reports whether s has the form of a key id (8 lowercase hex).
func validID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// split parses a sealed value into its key id ("" when it has none) and data.
func split(sealed string) (id, data string, ok bool) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", "", false
	}
	if id, data, found := strings.Cut(rest, ":"); found {
		return id, data, true
	}
	return "", rest, true
}

// open returns the plaintext and the index of the key that opened it.
func (b *Box) open(sealed, associated string) (string, int, error) {
	id, data, ok := split(sealed)
	if !ok {
		return "", -1, ErrDecrypt
	}
	if id != "" {
		i := b.index(id) // a malformed id matches no key
		if i < 0 {
			return "", -1, ErrDecrypt
		}
		pt, err := openWith(b.keys[i].aead, data, associated)
		return pt, i, err
	}
	for i, k := range b.keys {
		if pt, err := openWith(k.aead, data, associated); err == nil {
			return pt, i, nil
		}
	}
	return "", -1, ErrDecrypt
}

func openWith(aead cipher.AEAD, data, associated string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", ErrDecrypt
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(associated))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(pt), nil
}

// Reseal returns sealed re-encrypted under the current key, and whether it
// changed. A value already sealed under the current key is checked (it must
// open) and returned as is, so re-sealing is idempotent. The error never
// contains the value.
func (b *Box) Reseal(sealed, associated string) (string, bool, error) {
	pt, i, err := b.open(sealed, associated)
	if err != nil {
		if id := SealedKeyID(sealed); id != "" && b.index(id) < 0 {
			return "", false, fmt.Errorf("%w: sealed under key %s, which is neither the current nor the previous key", ErrDecrypt, id)
		}
		return "", false, err
	}
	if i == 0 && SealedKeyID(sealed) == b.keys[0].id {
		return sealed, false, nil
	}
	out, err := b.Seal(pt, associated)
	if err != nil {
		return "", false, err
	}
	return out, true, nil
}

// Associated data of the values Roster seals. They bind each ciphertext to
// its row; internal/hrconnect and internal/bank seal with the same strings
// (the keys rotate test checks it end to end).

// HRClientSecretAAD binds an organisation's HR client secret
// (hr_connections.client_secret_enc).
func HRClientSecretAAD(orgID int64) string {
	return fmt.Sprintf("org:%d:hr_client_secret", orgID)
}

// BankDetailAAD binds a user's reimbursement details (bank_details.data_enc).
func BankDetailAAD(orgID, userID int64) string {
	return fmt.Sprintf("org:%d:user:%d:bank", orgID, userID)
}

// Last4 returns the masked form shown in the UI: "••••" and the last 4 characters.
func Last4(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return "••••"
	}
	return "••••" + string(r[len(r)-4:])
}
