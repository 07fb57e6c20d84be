// Package secrets encrypts values at rest with AES-256-GCM under a key derived
// from ROSTER_SECRET_KEY. Ciphertexts carry a version prefix so the key can be
// rotated.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

const prefix = "v1:"

// ErrDecrypt means the ciphertext is damaged or was sealed under another key.
var ErrDecrypt = errors.New("secret cannot be decrypted (wrong ROSTER_SECRET_KEY?)")

// Box seals and opens secrets.
type Box struct{ aead cipher.AEAD }

// New derives the encryption key from the 32-byte master key.
func New(master []byte) (*Box, error) {
	key, err := hkdf.Key(sha256.New, master, nil, "roster secrets at rest v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext; associated binds it to its owner (e.g. "org:7:personio")
// so a ciphertext copied to another row does not open.
func (b *Box) Seal(plaintext, associated string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(associated))
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value produced by Seal with the same associated data.
func (b *Box) Open(sealed, associated string) (string, error) {
	if !strings.HasPrefix(sealed, prefix) {
		return "", ErrDecrypt
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", ErrDecrypt
	}
	pt, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], []byte(associated))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(pt), nil
}

// Last4 returns the masked form shown in the UI: "••••" and the last 4 characters.
func Last4(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return "••••"
	}
	return "••••" + string(r[len(r)-4:])
}
