package auth

import (
	"crypto/sha256"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/agentops-go/agentops/internal/store"
)

// ErrInvalidKeyFormat is returned for an API key that is not a UUID.
var ErrInvalidKeyFormat = errors.New("invalid API key format")

// prefixLen is how much of a key is kept in clear (store.Key.Prefix).
const prefixLen = 8

// NewKey makes a new random API key (a UUIDv4 in canonical lowercase form)
// and the record to store for it. The caller sets ProjectID and shows the key
// to the user once: only its hash is ever stored.
func NewKey() (key string, k store.Key) {
	key = uuid.New().String()
	hash := sha256.Sum256([]byte(key))
	return key, store.Key{
		Hash:      hash[:],
		Prefix:    key[:prefixLen],
		CreatedAt: time.Now().UTC(),
	}
}

// HashKey returns the hash under which key is stored, or ErrInvalidKeyFormat
// if key is not a UUID in its usual 36-character hyphenated form. Case does
// not matter: the key is lowercased first, so both cases name the same key.
// Other forms (no hyphens, braces, "urn:uuid:") are refused: nobody is given
// a key in those forms, and uuid.Parse is lax about them (it does not check
// that braces are braces).
//
// A plain SHA-256 is enough: a key carries 122 random bits, far beyond any
// brute force, so a slow password hash (bcrypt, argon2) would only cost
// latency on every request. It also keeps lookup by hash possible.
func HashKey(key string) ([]byte, error) {
	canonical, ok := canonicalKey(key)
	if !ok {
		return nil, ErrInvalidKeyFormat
	}
	hash := sha256.Sum256([]byte(canonical))
	return hash[:], nil
}

// canonicalKey returns key in canonical lowercase hyphenated form.
func canonicalKey(key string) (string, bool) {
	if len(key) != 36 {
		return "", false
	}
	u, err := uuid.Parse(key)
	if err != nil {
		return "", false
	}
	return u.String(), true
}
