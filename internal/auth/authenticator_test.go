package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProjectForKey(t *testing.T) {
	f := newFixture(t)
	valid := f.addKey(t, "proj-1")
	revoked := f.addKey(t, "proj-1")
	f.revoke(t, revoked)

	tests := []struct {
		name    string
		key     string
		want    string
		wantErr error
	}{
		{"valid", valid, "proj-1", nil},
		{"valid, upper case", strings.ToUpper(valid), "proj-1", nil},
		{"malformed", "my-api-key", "", ErrInvalidKeyFormat},
		{"empty", "", "", ErrInvalidKeyFormat},
		{"unknown", "6ba7b810-9dad-41d1-80b4-00c04fd430c8", "", ErrUnknownKey},
		{"revoked", revoked, "", ErrRevokedKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.a.ProjectForKey(context.Background(), tc.key)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Errorf("ProjectForKey = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestProjectForKeyStoreFailure(t *testing.T) {
	f := newFixture(t)
	key := f.addKey(t, "proj-1")
	f.keys.setErr(errStoreDown)
	_, err := f.a.ProjectForKey(context.Background(), key)
	if !errors.Is(err, errStoreDown) {
		t.Errorf("err = %v, want it to wrap the store's error", err)
	}
	for _, sentinel := range []error{ErrUnknownKey, ErrRevokedKey, ErrInvalidKeyFormat, ErrInvalidToken} {
		if errors.Is(err, sentinel) {
			t.Errorf("a store failure reads as %v", sentinel)
		}
	}
}

func TestFromRequest(t *testing.T) {
	f := newFixture(t)
	key := f.addKey(t, "proj-1")
	revoked := f.addKey(t, "proj-1")
	f.revoke(t, revoked)
	const unknown = "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
	jwt, err := f.a.IssueToken("proj-2")
	if err != nil {
		t.Fatal(err)
	}
	exchanged, _, err := f.a.Exchange(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		headers map[string]string
		want    string
		wantErr error
	}{
		{"no credential", nil, "", ErrNoCredential},
		{"empty key header", map[string]string{HeaderAPIKey: ""}, "", ErrNoCredential},
		{"other auth scheme", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, "", ErrNoCredential},

		{"key: valid", map[string]string{HeaderAPIKey: key}, "proj-1", nil},
		{"key: valid, upper case", map[string]string{HeaderAPIKey: strings.ToUpper(key)}, "proj-1", nil},
		{"key: malformed", map[string]string{HeaderAPIKey: "my-api-key"}, "", ErrInvalidKeyFormat},
		{"key: unknown", map[string]string{HeaderAPIKey: unknown}, "", ErrUnknownKey},
		{"key: revoked", map[string]string{HeaderAPIKey: revoked}, "", ErrRevokedKey},

		{"bearer: JWT", map[string]string{"Authorization": "Bearer " + jwt}, "proj-2", nil},
		{"bearer: exchanged JWT", map[string]string{"Authorization": "Bearer " + exchanged}, "proj-1", nil},
		{"bearer: scheme in lower case", map[string]string{"Authorization": "bearer " + jwt}, "proj-2", nil},
		{"bearer: API key", map[string]string{"Authorization": "Bearer " + key}, "proj-1", nil},
		{"bearer: unknown API key", map[string]string{"Authorization": "Bearer " + unknown}, "", ErrUnknownKey},
		{"bearer: revoked API key", map[string]string{"Authorization": "Bearer " + revoked}, "", ErrRevokedKey},
		{"bearer: garbage", map[string]string{"Authorization": "Bearer garbage"}, "", ErrInvalidToken},
		{"bearer: nothing", map[string]string{"Authorization": "Bearer"}, "", ErrInvalidToken},

		{"both: key header wins", map[string]string{HeaderAPIKey: key, "Authorization": "Bearer " + jwt}, "proj-1", nil},
		{"both: bad key header is not rescued by a good token",
			map[string]string{HeaderAPIKey: "my-api-key", "Authorization": "Bearer " + jwt}, "", ErrInvalidKeyFormat},
		{"both: proxy's Basic auth is ignored",
			map[string]string{HeaderAPIKey: key, "Authorization": "Basic dXNlcjpwYXNz"}, "proj-1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/traces", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			got, err := f.a.FromRequest(r)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Errorf("FromRequest = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestCacheSeesRevocationAfterTTL(t *testing.T) {
	f := newFixture(t, WithCacheTTL(5*time.Second))
	ctx := context.Background()
	key := f.addKey(t, "proj-1")

	mustProject := func(when string) {
		t.Helper()
		if got, err := f.a.ProjectForKey(ctx, key); err != nil || got != "proj-1" {
			t.Fatalf("%s: ProjectForKey = %q, %v; want proj-1", when, got, err)
		}
	}
	mustProject("first use")
	mustProject("second use")
	if n := f.keys.lookupCount(); n != 1 {
		t.Errorf("store lookups = %d, want 1 (second use cached)", n)
	}

	f.revoke(t, key) // by the CLI, in another process
	f.clock.Advance(4 * time.Second)
	mustProject("within the TTL")

	f.clock.Advance(time.Second)
	if _, err := f.a.ProjectForKey(ctx, key); !errors.Is(err, ErrRevokedKey) {
		t.Errorf("after the TTL: err = %v, want ErrRevokedKey", err)
	}
}

func TestCacheDoesNotRememberRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	key, k := NewKey()
	k.ProjectID = "proj-1"

	if _, err := f.a.ProjectForKey(ctx, key); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("before AddKey: err = %v, want ErrUnknownKey", err)
	}
	if err := f.keys.AddKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if got, err := f.a.ProjectForKey(ctx, key); err != nil || got != "proj-1" {
		t.Errorf("right after AddKey: ProjectForKey = %q, %v; want proj-1", got, err)
	}
}

func TestCacheDisabled(t *testing.T) {
	f := newFixture(t, WithCacheTTL(0))
	key := f.addKey(t, "proj-1")
	for range 3 {
		if _, err := f.a.ProjectForKey(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.keys.lookupCount(); n != 3 {
		t.Errorf("store lookups = %d, want 3", n)
	}
}

func TestExchangedTokenEndsWithItsKey(t *testing.T) {
	f := newFixture(t)
	key := f.addKey(t, "proj-1")
	exchanged, project, err := f.a.Exchange(context.Background(), key)
	if err != nil || project != "proj-1" {
		t.Fatalf("Exchange = %q, %v; want proj-1", project, err)
	}
	unbound, err := f.a.IssueToken("proj-1")
	if err != nil {
		t.Fatal(err)
	}
	fromBearer := func(token string) (string, error) {
		r := httptest.NewRequest("POST", "/v1/traces", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return f.a.FromRequest(r)
	}
	if _, err := fromBearer(exchanged); err != nil {
		t.Fatalf("before revocation: %v", err)
	}

	f.revoke(t, key)
	f.clock.Advance(DefaultCacheTTL)

	_, err = fromBearer(exchanged)
	if !errors.Is(err, ErrInvalidToken) {
		t.Errorf("after revocation: err = %v, want ErrInvalidToken", err)
	}
	if errors.Is(err, ErrRevokedKey) {
		t.Error("the error also reads as ErrRevokedKey: the HTTP layer could not pick one status")
	}
	if _, err := fromBearer(unbound); err != nil {
		t.Errorf("a token not tied to a key: %v", err)
	}
	if _, err := f.a.VerifyToken(exchanged); err != nil {
		t.Errorf("VerifyToken (signature and expiry only): %v", err)
	}
}

func TestFromRequestConcurrent(t *testing.T) {
	f := newFixture(t, WithCacheTTL(time.Millisecond))
	key := f.addKey(t, "proj-1")
	token, _, err := f.a.Exchange(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for range 100 {
				r := httptest.NewRequest("POST", "/v1/traces", nil)
				if i%2 == 0 {
					r.Header.Set(HeaderAPIKey, key)
				} else {
					r.Header.Set("Authorization", "Bearer "+token)
				}
				if got, err := f.a.FromRequest(r); err != nil || got != "proj-1" {
					t.Errorf("FromRequest = %q, %v", got, err)
					return
				}
				f.clock.Advance(time.Millisecond)
			}
		})
	}
	wg.Wait()
}
