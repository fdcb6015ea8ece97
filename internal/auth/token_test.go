package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestTokenRoundTrip(t *testing.T) {
	f := newFixture(t)
	token, err := f.a.IssueToken("proj-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.a.VerifyToken(token)
	if err != nil {
		t.Fatalf("VerifyToken: %v", err)
	}
	if got != "proj-1" {
		t.Errorf("project = %q, want proj-1", got)
	}

	var header map[string]any
	decodeSegment(t, token, 0, &header)
	if header["alg"] != "HS256" {
		t.Errorf("header alg = %v, want HS256", header["alg"])
	}
	var payload map[string]any
	decodeSegment(t, token, 1, &payload)
	now := f.clock.Now().Unix()
	want := map[string]any{
		"project_id": "proj-1",
		"iat":        float64(now),
		"exp":        float64(now + int64(DefaultTokenTTL/time.Second)),
	}
	if len(payload) != len(want) {
		t.Errorf("payload = %v, want %v", payload, want)
	}
	for k, v := range want {
		if payload[k] != v {
			t.Errorf("payload[%q] = %v, want %v", k, payload[k], v)
		}
	}
}

func TestIssueTokenRefusesEmptyProject(t *testing.T) {
	if _, err := newFixture(t).a.IssueToken(""); err == nil {
		t.Error("IssueToken(\"\") succeeded")
	}
}

func TestVerifyTokenRefuses(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	valid := claims{
		ProjectID: "proj-1",
		RegisteredClaims: jwt.RegisteredClaims{
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.Claims) string {
		t.Helper()
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(jwt.SigningMethodHS256, testSecret, valid)
	if _, err := f.a.VerifyToken(good); err != nil {
		t.Fatalf("control token refused: %v", err)
	}

	noExp := valid
	noExp.ExpiresAt = nil
	noProject := valid
	noProject.ProjectID = ""
	expired := valid
	expired.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second))

	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + encodeSegment(t, map[string]any{
		"project_id": "proj-2", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}) + "." + parts[2]
	algNone := encodeSegment(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "."

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not a token"},
		{"api key", "6ba7b810-9dad-41d1-80b4-00c04fd430c8"},
		{"wrong secret", sign(jwt.SigningMethodHS256, []byte("another secret, 32 bytes long..."), valid)},
		{"alg none, no signature", algNone},
		{"alg none, library-made", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)},
		{"HS512 with the right secret", sign(jwt.SigningMethodHS512, testSecret, valid)},
		{"HS384 with the right secret", sign(jwt.SigningMethodHS384, testSecret, valid)},
		{"tampered payload", tampered},
		{"signature removed", parts[0] + "." + parts[1] + "."},
		{"expired", sign(jwt.SigningMethodHS256, testSecret, expired)},
		{"no expiry", sign(jwt.SigningMethodHS256, testSecret, noExp)},
		{"no project", sign(jwt.SigningMethodHS256, testSecret, noProject)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			project, err := f.a.VerifyToken(tc.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("VerifyToken = %q, %v; want ErrInvalidToken", project, err)
			}
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	f := newFixture(t, WithTokenTTL(time.Hour))
	token, err := f.a.IssueToken("proj-1")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour - time.Second)
	if _, err := f.a.VerifyToken(token); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.a.VerifyToken(token); !errors.Is(err, ErrInvalidToken) || !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("at expiry: err = %v, want ErrInvalidToken wrapping jwt.ErrTokenExpired", err)
	}
}

func TestTokenFromAnotherSecret(t *testing.T) {
	f := newFixture(t)
	token, err := f.a.IssueToken("proj-1")
	if err != nil {
		t.Fatal(err)
	}
	other := New(f.keys, []byte("a different 32-byte secret......"), WithClock(f.clock.Now))
	if _, err := other.VerifyToken(token); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("err = %v, want ErrInvalidToken", err)
	}
}

func decodeSegment(t *testing.T, token string, i int, v any) {
	t.Helper()
	seg := strings.Split(token, ".")[i]
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func encodeSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
