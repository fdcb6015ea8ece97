package exporter

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeClock is a settable clock, safe to read from the server's goroutines.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func jwtWithExp(t *testing.T, exp time.Time) string {
	return mustSign(t, jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(exp)})
}

// TestTokenSource walks one token source through its life on a fake clock:
// caching, refresh before exp, fallback and backoff on failures, the
// rejection warning.
func TestTokenSource(t *testing.T) {
	f := newFakeServer(t)
	clock := newFakeClock(time.Now())
	f.now, f.tokenTTL = clock.now, time.Hour
	logs := &logBuffer{}
	ts := newTokenSource(testKey, f.URL+"/v3/auth/token", f.Client(), slog.New(slog.NewTextHandler(logs, nil)), time.Second)
	ts.now = clock.now

	steps := []struct {
		name          string
		advance       time.Duration
		answers       []answer // scripted answers of the token endpoint
		want          string   // "new" token, the "same" as before, or "none"
		wantExchanges int
	}{
		{name: "first use exchanges", want: "new", wantExchanges: 1},
		{name: "cached", advance: 30 * time.Minute, want: "same", wantExchanges: 1},
		{name: "refreshed 5 minutes before exp", advance: 26 * time.Minute, want: "new", wantExchanges: 2},
		{name: "failed refresh keeps the unexpired token", advance: 56 * time.Minute,
			answers: []answer{{status: 503, message: "shutting down"}}, want: "same", wantExchanges: 3},
		{name: "no exchange during the backoff", advance: 500 * time.Millisecond, want: "same", wantExchanges: 3},
		{name: "expired and the exchange fails: no token", advance: 5 * time.Minute,
			answers: []answer{{status: 503, message: "shutting down"}}, want: "none", wantExchanges: 4},
		{name: "backoff doubled", advance: 1500 * time.Millisecond, want: "none", wantExchanges: 4},
		{name: "key rejected", advance: time.Second,
			answers: []answer{{status: 403, message: "API key has been revoked"}}, want: "none", wantExchanges: 5},
		{name: "key rejected again", advance: 10 * time.Second,
			answers: []answer{{status: 403, message: "API key has been revoked"}}, want: "none", wantExchanges: 6},
		{name: "exchange works again", advance: 20 * time.Second, want: "new", wantExchanges: 7},
	}
	prev := ""
	for _, st := range steps {
		clock.advance(st.advance)
		f.mu.Lock()
		f.tokenAnswers = st.answers
		f.mu.Unlock()

		got := ts.get(context.Background())
		_, exchanges := f.snapshot()
		switch {
		case exchanges != st.wantExchanges:
			t.Fatalf("%s: %d exchanges, want %d", st.name, exchanges, st.wantExchanges)
		case st.want == "none" && got != "",
			st.want == "same" && got != prev,
			st.want == "new" && (got == "" || got == prev):
			t.Fatalf("%s: token %q after %q, want %s", st.name, got, prev, st.want)
		}
		if got != "" {
			prev = got
		}
	}
	if n := logs.count("AgentOps API key rejected: API key has been revoked"); n != 1 {
		t.Errorf("rejection warnings = %d, want 1; log:\n%s", n, logs)
	}
}

func TestRefreshTimes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name                     string
		token                    string
		wantExpires, wantRefresh time.Time
	}{
		{"24 hours: 5 minutes early", jwtWithExp(t, now.Add(24*time.Hour)), now.Add(24 * time.Hour), now.Add(24*time.Hour - 5*time.Minute)},
		{"10 minutes: a tenth early", jwtWithExp(t, now.Add(10*time.Minute)), now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
		{"expired by our clock: until a 401", jwtWithExp(t, now.Add(-time.Minute)), time.Time{}, time.Time{}},
		{"no exp: until a 401", mustSign(t, jwt.MapClaims{"sub": "x"}), time.Time{}, time.Time{}},
		{"opaque token: until a 401", "not-a-jwt", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, refresh := refreshTimes(tt.token, now)
			if !exp.Equal(tt.wantExpires) || !refresh.Equal(tt.wantRefresh) {
				t.Errorf("refreshTimes = %v, %v; want %v, %v", exp, refresh, tt.wantExpires, tt.wantRefresh)
			}
		})
	}
}

func mustSign(t *testing.T, c jwt.Claims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
