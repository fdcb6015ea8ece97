package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// fakeKeys is an in-memory store.Keys that counts lookups.
type fakeKeys struct {
	mu      sync.Mutex
	keys    map[string]store.Key // by hash
	lookups int
	err     error // returned by KeyByHash when set
}

func newFakeKeys() *fakeKeys { return &fakeKeys{keys: make(map[string]store.Key)} }

func (f *fakeKeys) AddKey(_ context.Context, k store.Key) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.keys[string(k.Hash)]; ok {
		return store.ErrExists
	}
	f.keys[string(k.Hash)] = k
	return nil
}

func (f *fakeKeys) KeyByHash(_ context.Context, hash []byte) (store.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.err != nil {
		return store.Key{}, f.err
	}
	k, ok := f.keys[string(hash)]
	if !ok {
		return store.Key{}, store.ErrNotFound
	}
	return k, nil
}

func (f *fakeKeys) ListKeys(context.Context) ([]store.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ks []store.Key
	for _, k := range f.keys {
		ks = append(ks, k)
	}
	return ks, nil
}

func (f *fakeKeys) RevokeKey(_ context.Context, hash []byte, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[string(hash)]
	if !ok {
		return store.ErrNotFound
	}
	k.RevokedAt = &at
	f.keys[string(hash)] = k
	return nil
}

func (f *fakeKeys) lookupCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups
}

func (f *fakeKeys) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// fixture is an Authenticator over a fake store with a fake clock.
type fixture struct {
	a     *Authenticator
	keys  *fakeKeys
	clock *fakeClock
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{keys: newFakeKeys(), clock: newFakeClock()}
	opts = append([]Option{WithClock(f.clock.Now)}, opts...)
	f.a = New(f.keys, testSecret, opts...)
	return f
}

// addKey stores a new key of projectID and returns it in clear.
func (f *fixture) addKey(t *testing.T, projectID string) string {
	t.Helper()
	key, k := NewKey()
	k.ProjectID = projectID
	if err := f.keys.AddKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return key
}

// revoke revokes key in the store, as the CLI would from another process.
func (f *fixture) revoke(t *testing.T, key string) {
	t.Helper()
	hash, err := HashKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.keys.RevokeKey(context.Background(), hash, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

var errStoreDown = errors.New("store down")
