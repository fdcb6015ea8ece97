package auth

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"regexp"
	"testing"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewKey(t *testing.T) {
	key, k := NewKey()
	if !uuidV4.MatchString(key) {
		t.Errorf("key %q is not a canonical lowercase UUIDv4", key)
	}
	if k.Prefix != key[:8] {
		t.Errorf("Prefix = %q, want %q", k.Prefix, key[:8])
	}
	hash, err := HashKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Hash, hash) {
		t.Errorf("Hash = %x, want HashKey(key) = %x", k.Hash, hash)
	}
	if k.CreatedAt.IsZero() {
		t.Error("CreatedAt not set")
	}
	if k.ProjectID != "" || k.RevokedAt != nil {
		t.Errorf("NewKey set fields the caller owns: %+v", k)
	}
	if other, _ := NewKey(); other == key {
		t.Error("two keys are equal")
	}
}

func TestHashKey(t *testing.T) {
	const canonical = "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
	want := sha256.Sum256([]byte(canonical))

	sameKey := []struct{ name, key string }{
		{"canonical", canonical},
		{"upper case", "6BA7B810-9DAD-41D1-80B4-00C04FD430C8"},
		{"mixed case", "6Ba7B810-9dAd-41D1-80b4-00C04fD430c8"},
	}
	for _, tc := range sameKey {
		t.Run(tc.name, func(t *testing.T) {
			got, err := HashKey(tc.key)
			if err != nil {
				t.Fatalf("HashKey(%q): %v", tc.key, err)
			}
			if !bytes.Equal(got, want[:]) {
				t.Errorf("HashKey(%q) = %x, want sha256(canonical) = %x", tc.key, got, want)
			}
		})
	}

	invalid := []struct{ name, key string }{
		{"empty", ""},
		{"word", "not-a-uuid"},
		{"one char short", canonical[:35]},
		{"one char long", canonical + "0"},
		{"non-hex digit", "6ba7b810-9dad-41d1-80b4-00c04fd430cg"},
		{"surrounding space", " " + canonical + " "},
		{"any two characters around", "x" + canonical + "y"},
		{"hyphen misplaced", "6ba7b8109-dad-41d1-80b4-00c04fd430c8"},
		{"no hyphens", "6ba7b8109dad41d180b400c04fd430c8"},
		{"braces", "{" + canonical + "}"},
		{"urn", "urn:uuid:" + canonical},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.eyJwcm9qZWN0X2lkIjoicCJ9.c2ln"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := HashKey(tc.key); !errors.Is(err, ErrInvalidKeyFormat) {
				t.Errorf("HashKey(%q) error = %v, want ErrInvalidKeyFormat", tc.key, err)
			}
		})
	}
}
