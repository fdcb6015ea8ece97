package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestTokenHandler(t *testing.T) {
	f := newFixture(t, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	key := f.addKey(t, "proj-1")
	revoked := f.addKey(t, "proj-1")
	f.revoke(t, revoked)
	const unknown = "6ba7b810-9dad-41d1-80b4-00c04fd430c8"

	// Tokens are deterministic (HS256, fixed clock), so the answer to a
	// valid exchange is known in advance.
	hash, _ := HashKey(key)
	want200, err := f.a.issue("proj-1", hash)
	if err != nil {
		t.Fatal(err)
	}
	unbound, err := f.a.IssueToken("proj-2")
	if err != nil {
		t.Fatal(err)
	}
	expired := New(f.keys, testSecret, WithClock(func() time.Time { return f.clock.Now().Add(-25 * time.Hour) }))
	expiredToken, err := expired.IssueToken("proj-1")
	if err != nil {
		t.Fatal(err)
	}
	revokedHash, _ := HashKey(revoked)
	revokedToken, err := f.a.issue("proj-1", revokedHash)
	if err != nil {
		t.Fatal(err)
	}

	body := func(apiKey string) string { return fmt.Sprintf(`{"api_key": %q}`, apiKey) }
	bearer := func(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }
	errBody := func(msg string) string { return fmt.Sprintf(`{"error":%q}`, msg) + "\n" }

	tests := []struct {
		name       string
		method     string
		body       string
		headers    map[string]string
		storeErr   error
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{
			name: "POST valid key", method: "POST", body: body(key),
			wantStatus: 200,
			wantBody:   fmt.Sprintf(`{"token":%q,"project_id":"proj-1","project_prem_status":"pro"}`, want200) + "\n",
			wantHeader: map[string]string{"Cache-Control": "no-store"},
		},
		{
			name: "POST valid key in upper case, extra fields ignored", method: "POST",
			body:       fmt.Sprintf(`{"api_key": %q, "sdk_version": "0.4.0"}`, strings.ToUpper(key)),
			wantStatus: 200,
			wantBody:   fmt.Sprintf(`{"token":%q,"project_id":"proj-1","project_prem_status":"pro"}`, want200) + "\n",
		},
		{name: "POST non-UUID key", method: "POST", body: body("my-api-key"), wantStatus: 400, wantBody: errBody("Invalid API key format")},
		{name: "POST empty key", method: "POST", body: body(""), wantStatus: 400, wantBody: errBody("Invalid API key format")},
		{name: "POST no key", method: "POST", body: `{}`, wantStatus: 400, wantBody: errBody("Invalid API key format")},
		{name: "POST unknown key", method: "POST", body: body(unknown), wantStatus: 403, wantBody: errBody("Unknown API key")},
		{name: "POST revoked key", method: "POST", body: body(revoked), wantStatus: 403, wantBody: errBody("API key has been revoked")},
		{name: "POST invalid JSON", method: "POST", body: `{"api_key":`, wantStatus: 400, wantBody: errBody("Invalid JSON body")},
		{name: "POST empty body", method: "POST", body: ``, wantStatus: 400, wantBody: errBody("Invalid JSON body")},
		{name: "POST key of the wrong type", method: "POST", body: `{"api_key": 42}`, wantStatus: 400, wantBody: errBody("Invalid JSON body")},
		{name: "POST trailing data", method: "POST", body: body(key) + ` {}`, wantStatus: 400, wantBody: errBody("Invalid JSON body")},
		{
			name: "POST body too large", method: "POST",
			body:       `{"api_key": "` + strings.Repeat("a", MaxTokenRequestBytes) + `"}`,
			wantStatus: 413, wantBody: errBody("Request body too large"),
		},
		{name: "POST store failure", method: "POST", body: body(key), storeErr: errStoreDown, wantStatus: 500, wantBody: errBody("Internal server error")},

		{name: "GET valid token", method: "GET", headers: bearer(want200), wantStatus: 200, wantBody: `{"valid":true,"project_id":"proj-1"}` + "\n"},
		{name: "GET token not tied to a key", method: "GET", headers: bearer(unbound), wantStatus: 200, wantBody: `{"valid":true,"project_id":"proj-2"}` + "\n"},
		{
			name: "GET no token", method: "GET", wantStatus: 401, wantBody: errBody("Missing bearer token"),
			wantHeader: map[string]string{"WWW-Authenticate": "Bearer"},
		},
		{
			name: "GET garbage token", method: "GET", headers: bearer("garbage"), wantStatus: 401, wantBody: errBody("Invalid or expired token"),
			wantHeader: map[string]string{"WWW-Authenticate": `Bearer error="invalid_token"`},
		},
		{name: "GET expired token", method: "GET", headers: bearer(expiredToken), wantStatus: 401, wantBody: errBody("Invalid or expired token")},
		{name: "GET token of a revoked key", method: "GET", headers: bearer(revokedToken), wantStatus: 401, wantBody: errBody("Invalid or expired token")},
		{name: "GET API key instead of a token", method: "GET", headers: bearer(key), wantStatus: 401, wantBody: errBody("Invalid or expired token")},
		{name: "GET store failure", method: "GET", headers: bearer(want200), storeErr: errStoreDown, wantStatus: 500, wantBody: errBody("Internal server error")},

		{name: "PUT", method: "PUT", body: body(key), wantStatus: 405, wantBody: errBody("Method not allowed"), wantHeader: map[string]string{"Allow": "GET, POST"}},
		{name: "DELETE", method: "DELETE", wantStatus: 405, wantBody: errBody("Method not allowed"), wantHeader: map[string]string{"Allow": "GET, POST"}},
	}
	h := TokenHandler(f.a)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.keys.setErr(tc.storeErr)
			defer f.keys.setErr(nil)
			f.a.mu.Lock()
			clear(f.a.cache) // each case sees the store
			f.a.mu.Unlock()

			r := httptest.NewRequest(tc.method, "/v3/auth/token", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if got := w.Body.String(); got != tc.wantBody {
				t.Errorf("body = %s, want %s", got, tc.wantBody)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			for k, v := range tc.wantHeader {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestTokenHandlerRoundTrip follows the official SDKs: exchange the key, then
// send the token; the token stops working once the key is revoked.
func TestTokenHandlerRoundTrip(t *testing.T) {
	f := newFixture(t)
	key := f.addKey(t, "proj-1")
	srv := httptest.NewServer(TokenHandler(f.a))
	defer srv.Close()

	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(fmt.Sprintf(`{"api_key":%q}`, key)))
	if err != nil {
		t.Fatal(err)
	}
	var got tokenResponse
	decodeJSON(t, resp, &got)
	if got.ProjectID != "proj-1" || got.PremStatus != "pro" {
		t.Fatalf("response = %+v", got)
	}

	r := httptest.NewRequest("POST", "/v1/traces", nil)
	r.Header.Set("Authorization", "Bearer "+got.Token)
	if project, err := f.a.FromRequest(r); err != nil || project != "proj-1" {
		t.Errorf("FromRequest = %q, %v; want proj-1", project, err)
	}

	f.revoke(t, key)
	f.clock.Advance(DefaultCacheTTL)
	req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL, nil)
	req.Header.Set("Authorization", "Bearer "+got.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET after revocation: status = %d, want 401", resp.StatusCode)
	}
}

func decodeJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestAccessTokenHandler(t *testing.T) {
	f := newFixture(t, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	key := f.addKey(t, "proj-1")
	revoked := f.addKey(t, "proj-1")
	f.revoke(t, revoked)
	errBody := func(msg string) string { return fmt.Sprintf(`{"detail":%q,"error":%q}`, msg, msg) + "\n" }
	tests := []struct {
		name, method, body string
		storeErr           error
		wantStatus         int
		wantBody           string
	}{
		{"valid key", "POST", fmt.Sprintf(`{"api_key": %q}`, key), nil, 200, ""}, // "": a bearer of proj-1
		{"not a UUID", "POST", `{"api_key": "abc"}`, nil, 400, errBody("Invalid API key format")},
		{"missing key", "POST", `{}`, nil, 400, errBody("Invalid API key format")},
		{"not JSON", "POST", `api_key=x`, nil, 400, errBody("Invalid JSON body")},
		{"unknown key", "POST", `{"api_key": "6ba7b810-9dad-41d1-80b4-00c04fd430c8"}`, nil, 403, errBody("Unknown API key")},
		{"revoked key", "POST", fmt.Sprintf(`{"api_key": %q}`, revoked), nil, 403, errBody("API key has been revoked")},
		{"too large", "POST", `{"api_key": "` + strings.Repeat("a", MaxTokenRequestBytes) + `"}`, nil, 413, errBody("Request body too large")},
		{"store failure", "POST", fmt.Sprintf(`{"api_key": %q}`, key), errStoreDown, 500, errBody("Internal server error")},
		{"GET", "GET", "", nil, 405, errBody("Method not allowed")},
	}
	h := AccessTokenHandler(f.a)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.keys.setErr(tc.storeErr)
			defer f.keys.setErr(nil)
			f.clock.Advance(DefaultCacheTTL) // no cached key: every row reads the store
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, "/public/v1/auth/access_token", strings.NewReader(tc.body)))
			if tc.wantBody == "" {
				var got accessTokenResponse
				if w.Code != tc.wantStatus || json.Unmarshal(w.Body.Bytes(), &got) != nil {
					t.Fatalf("got %d %s, want %d {\"bearer\"}", w.Code, w.Body, tc.wantStatus)
				}
				if project, err := f.a.VerifyToken(got.Bearer); err != nil || project != "proj-1" {
					t.Errorf("the bearer verifies as %q, %v; want proj-1", project, err)
				}
				return
			}
			if w.Code != tc.wantStatus || w.Body.String() != tc.wantBody {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}
