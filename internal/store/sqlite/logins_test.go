package sqlite

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// TestLogins: a login put is read back until it expires, survives closing
// and reopening the file, is replaced by a later put, and is gone once
// deleted; a put drops the logins already expired.
func TestLogins(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "agentops.db")
	now := time.Unix(1_800_000_000, 0)
	a := store.Login{TokenHash: []byte("hash-a"), Expires: now.Add(time.Hour), Data: []byte(`{"a":1}`)}
	b := store.Login{TokenHash: []byte("hash-b"), Expires: now.Add(time.Minute), Data: []byte(`{"b":1}`)}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []store.Login{a, b} {
		if err := s.PutLogin(ctx, l, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTemp(t, path) // as after a restart
	got, err := s.Login(ctx, a.TokenHash, now)
	if err != nil || !bytes.Equal(got.Data, a.Data) || !got.Expires.Equal(a.Expires) {
		t.Fatalf("Login(a) = %+v, %v", got, err)
	}
	if _, err := s.Login(ctx, b.TokenHash, now.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Login(b) at its expiry: %v, want ErrNotFound", err)
	}
	a.Data = []byte(`{"a":2}`)
	if err := s.PutLogin(ctx, a, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Login(ctx, a.TokenHash, now); !bytes.Equal(got.Data, a.Data) {
		t.Errorf("after a second put, data %s", got.Data)
	}
	var rows int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM dashboard_logins`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("%d rows (%v): the expired login b should be dropped by the put", rows, err)
	}
	if err := s.DeleteLogin(ctx, a.TokenHash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, a.TokenHash, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Login(a) after delete: %v", err)
	}
	if err := s.DeleteLogin(ctx, a.TokenHash); err != nil {
		t.Errorf("deleting again: %v", err)
	}
}
