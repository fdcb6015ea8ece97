package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSessionTokenKeepsTheKey: a session token is tied to the key of the
// credential it was asked with, whichever form that took, so revoking the
// key ends it too.
func TestSessionTokenKeepsTheKey(t *testing.T) {
	f := newFixture(t)
	key := f.addKey(t, "proj-1")
	exchanged, _, err := f.a.Exchange(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	request := func(header, value string) *http.Request {
		r := httptest.NewRequest("POST", "/v2/create_session", nil)
		r.Header.Set(header, value)
		return r
	}
	creds := map[string]*http.Request{
		"X-Agentops-Api-Key": request(HeaderAPIKey, key),
		"Bearer key":         request("Authorization", "Bearer "+key),
		"Bearer key's token": request("Authorization", "Bearer "+exchanged),
	}
	tokens := map[string]string{}
	for name, r := range creds {
		token, err := f.a.SessionToken(r, "proj-1", "sess-1")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sid, err := f.a.TokenSession(token); err != nil || sid != "sess-1" {
			t.Errorf("%s: TokenSession = %q, %v; want sess-1", name, sid, err)
		}
		if p, err := f.a.FromRequest(request("Authorization", "Bearer "+token)); err != nil || p != "proj-1" {
			t.Errorf("%s: FromRequest = %q, %v; want proj-1", name, p, err)
		}
		tokens[name] = token
	}
	if sid, err := f.a.TokenSession(exchanged); err != nil || sid != "" {
		t.Errorf("TokenSession of an exchanged token = %q, %v; want none", sid, err)
	}

	f.revoke(t, key)
	f.clock.Advance(DefaultCacheTTL)
	for name, token := range tokens {
		if _, err := f.a.FromRequest(request("Authorization", "Bearer "+token)); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: after revocation err = %v, want ErrInvalidToken", name, err)
		}
	}
	if _, err := f.a.SessionToken(request("Authorization", "Bearer not.a.token"), "proj-1", "s"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("SessionToken from a forged token: %v, want ErrInvalidToken", err)
	}
}
