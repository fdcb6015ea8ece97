package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenSource exchanges the API key for a bearer token at POST
// /v3/auth/token and caches it until shortly before the JWT's exp. When the
// exchange fails (no such endpoint, server down, key rejected) callers get
// "" and send the key header instead; the exchange is tried again only
// after a backoff that doubles up to maxExchangeRetry.
type tokenSource struct {
	key    string
	url    string
	client *http.Client
	log    *slog.Logger
	retry  time.Duration // first backoff after a failure
	now    func() time.Time

	sem chan struct{} // one exchange at a time; acquiring it respects ctx

	mu        sync.Mutex
	token     string
	expires   time.Time // zero: unknown, use the token until the server refuses it
	refreshAt time.Time // exchange again from then on (zero: never by time)
	notBefore time.Time // no exchange before this (backoff after a failure)
	backoff   time.Duration

	rejectedOnce sync.Once
}

func newTokenSource(key, url string, client *http.Client, log *slog.Logger, retry time.Duration) *tokenSource {
	return &tokenSource{
		key: key, url: url, client: client, log: log, retry: retry,
		now: time.Now,
		sem: make(chan struct{}, 1),
	}
}

// credential is what to send now: a bearer token if one can be had, else
// the API key, else nothing.
func (t *tokenSource) credential(ctx context.Context) credential {
	if tok := t.get(ctx); tok != "" {
		return credential{bearer: true, value: tok}
	}
	return credential{value: t.key}
}

// invalidate forgets token after the server refused it, and lets the next
// get exchange at once. A token obtained meanwhile by someone else is kept.
func (t *tokenSource) invalidate(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == token {
		t.token, t.expires, t.refreshAt = "", time.Time{}, time.Time{}
		t.notBefore, t.backoff = time.Time{}, 0
	}
}

// get returns a usable token or "". It does not exchange while a backoff
// runs, nor wait for an exchange in progress past ctx.
func (t *tokenSource) get(ctx context.Context) string {
	if t.key == "" {
		return ""
	}
	if tok, done := t.cached(); done {
		return tok
	}
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.valid(t.now()) {
			return t.token
		}
		return ""
	}
	defer func() { <-t.sem }()
	if tok, done := t.cached(); done { // someone exchanged while we waited
		return tok
	}

	res, err := t.exchange(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if err != nil {
		t.backoff = min(max(2*t.backoff, t.retry), maxExchangeRetry)
		t.notBefore = now.Add(t.backoff)
		if res.rejected {
			t.rejectedOnce.Do(func() {
				t.log.Warn("AgentOps API key rejected: "+res.message+"; spans will be sent with the key and refused until the key is valid",
					"status", res.status, "endpoint", t.url)
			})
		} else {
			t.log.Debug("agentops: token exchange failed; sending the API key header instead",
				"error", err, "retry_in", t.backoff)
		}
		if t.valid(now) {
			return t.token // an older token that has not expired yet
		}
		return ""
	}
	t.token, t.backoff, t.notBefore = res.token, 0, time.Time{}
	t.expires, t.refreshAt = refreshTimes(res.token, now)
	return t.token
}

// cached answers from the cache when it can: done is false when an exchange
// should be attempted.
func (t *tokenSource) cached() (tok string, done bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	fresh := t.valid(now) && (t.refreshAt.IsZero() || now.Before(t.refreshAt))
	switch {
	case fresh:
		return t.token, true
	case now.Before(t.notBefore):
		if t.valid(now) {
			return t.token, true
		}
		return "", true
	}
	return "", false
}

func (t *tokenSource) valid(now time.Time) bool {
	return t.token != "" && (t.expires.IsZero() || now.Before(t.expires))
}

// refreshTimes reads the token's exp claim, without verifying the token
// (only the server can), and picks when to exchange again: a tenth of the
// lifetime before exp, at most five minutes before. A token without exp, or
// whose exp has passed by our clock (skew), is used until a 401.
func refreshTimes(token string, now time.Time) (expires, refreshAt time.Time) {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil || c.ExpiresAt == nil {
		return time.Time{}, time.Time{}
	}
	exp := c.ExpiresAt.Time
	life := exp.Sub(now)
	if life <= 0 {
		return time.Time{}, time.Time{}
	}
	return exp, exp.Add(-min(life/10, 5*time.Minute))
}

type exchangeResult struct {
	token    string
	status   int
	rejected bool   // 400/403: the key itself is refused
	message  string // the server's error message
}

// exchange posts the key to the token endpoint.
func (t *tokenSource) exchange(ctx context.Context) (exchangeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	body, err := json.Marshal(map[string]string{"api_key": t.key})
	if err != nil {
		return exchangeResult{}, fmt.Errorf("token exchange: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return exchangeResult{}, fmt.Errorf("token exchange: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return exchangeResult{}, fmt.Errorf("token exchange: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPeek))
	if err != nil {
		return exchangeResult{status: resp.StatusCode}, fmt.Errorf("token exchange: read answer: %w", err)
	}
	res := exchangeResult{status: resp.StatusCode}
	if resp.StatusCode != http.StatusOK {
		res.message = errorMessage(data)
		res.rejected = resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden
		return res, fmt.Errorf("token exchange: %s: %s", resp.Status, res.message)
	}
	var ok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(data, &ok); err != nil || ok.Token == "" {
		return res, fmt.Errorf("token exchange: answer has no token")
	}
	res.token = ok.Token
	return res, nil
}
