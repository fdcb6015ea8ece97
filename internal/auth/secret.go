package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretFile is the name of the token signing secret in the data directory.
const SecretFile = "jwt.secret"

// secretLen is the size of a generated secret: 256 bits, HS256's key size.
const secretLen = 32

// LoadOrCreateSecret returns the token signing secret kept in dataDir,
// creating it (32 random bytes, mode 0600) on first use. Keeping it on disk
// means tokens survive a restart; deleting the file invalidates every issued
// token. Several instances sharing a data directory share the secret.
//
// Creation is atomic: the secret is written to a temporary file and linked
// into place, so two processes starting at once agree on one secret and none
// ever reads a half-written file.
func LoadOrCreateSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, SecretFile)
	secret, err := readSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: create data directory: %w", err)
	}
	secret = make([]byte, secretLen)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("auth: generate secret: %w", err)
	}
	if err := writeNewFile(path, secret); errors.Is(err, fs.ErrExist) {
		return readSecret(path) // another process won the race
	} else if err != nil {
		return nil, err
	}
	return secret, nil
}

func readSecret(path string) ([]byte, error) {
	secret, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read secret: %w", err)
	}
	if len(secret) < secretLen {
		return nil, fmt.Errorf("auth: secret %s is %d bytes, want at least %d", path, len(secret), secretLen)
	}
	return secret, nil
}

// writeNewFile durably writes data to path with mode 0600, failing with an
// error wrapping fs.ErrExist if path already exists.
func writeNewFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("auth: write secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o600) // CreateTemp already uses 0600; be explicit
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path) // unlike Rename, never replaces
	}
	if err != nil {
		return fmt.Errorf("auth: write secret: %w", err)
	}
	return nil
}
