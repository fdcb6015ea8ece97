package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// Errors of ProjectForKey and FromRequest. The HTTP layer maps them to a
// status: ErrNoCredential and ErrInvalidToken to 401, ErrUnknownKey and
// ErrRevokedKey to 403, ErrInvalidKeyFormat to 400 on /v3/auth/token and
// 401 or 403 elsewhere. Any other error is the store's (500).
var (
	ErrNoCredential = errors.New("no credential")
	ErrUnknownKey   = errors.New("unknown API key")
	ErrRevokedKey   = errors.New("API key revoked")
)

// HeaderAPIKey carries an API key.
const HeaderAPIKey = "X-Agentops-Api-Key"

// Defaults of the options.
const (
	DefaultCacheTTL = 5 * time.Second
	// DefaultTokenTTL matches the official AgentOps SDKs, which fetch a new
	// token from POST /v3/auth/token when theirs is refused.
	DefaultTokenTTL = 24 * time.Hour
)

// maxCacheEntries bounds the key cache. Only keys that exist are cached, so
// it is only reached by a deployment with that many active keys.
const maxCacheEntries = 10_000

// Authenticator resolves credentials to projects. It is safe for concurrent
// use.
type Authenticator struct {
	keys     store.Keys
	secret   []byte
	cacheTTL time.Duration
	tokenTTL time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu    sync.Mutex
	cache map[string]cacheEntry // by key hash
}

type cacheEntry struct {
	projectID string
	expires   time.Time
}

// Option configures an Authenticator.
type Option func(*Authenticator)

// WithCacheTTL sets how long a valid key is remembered without asking the
// store (default 5s), which bounds how long a key revoked by another process
// keeps working. Zero disables the cache. Unknown and revoked keys are never
// cached, so a key created by the CLI works at once.
func WithCacheTTL(d time.Duration) Option { return func(a *Authenticator) { a.cacheTTL = d } }

// WithTokenTTL sets the lifetime of issued tokens (default 24h).
func WithTokenTTL(d time.Duration) Option { return func(a *Authenticator) { a.tokenTTL = d } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(a *Authenticator) { a.now = now } }

// WithLogger sets where TokenHandler reports store failures (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(a *Authenticator) { a.log = l } }

// New returns an Authenticator looking keys up in keys and signing tokens
// with secret (see LoadOrCreateSecret).
func New(keys store.Keys, secret []byte, opts ...Option) *Authenticator {
	a := &Authenticator{
		keys:     keys,
		secret:   secret,
		cacheTTL: DefaultCacheTTL,
		tokenTTL: DefaultTokenTTL,
		now:      time.Now,
		log:      slog.Default(),
		cache:    make(map[string]cacheEntry),
	}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

// ProjectForKey returns the project of an API key: ErrInvalidKeyFormat if key
// is not a UUID, ErrUnknownKey if no such key exists, ErrRevokedKey if it was
// revoked.
func (a *Authenticator) ProjectForKey(ctx context.Context, key string) (projectID string, err error) {
	hash, err := HashKey(key)
	if err != nil {
		return "", err
	}
	return a.projectForHash(ctx, hash)
}

// Exchange trades an API key for a token, as POST /v3/auth/token does. The
// token is tied to the key: once the key is revoked, FromRequest refuses the
// token too (within the cache TTL), not only after it expires.
func (a *Authenticator) Exchange(ctx context.Context, key string) (token, projectID string, err error) {
	hash, err := HashKey(key)
	if err != nil {
		return "", "", err
	}
	projectID, err = a.projectForHash(ctx, hash)
	if err != nil {
		return "", "", err
	}
	token, err = a.issue(projectID, hash)
	if err != nil {
		return "", "", err
	}
	return token, projectID, nil
}

func (a *Authenticator) projectForHash(ctx context.Context, hash []byte) (string, error) {
	if projectID, ok := a.cached(hash); ok {
		return projectID, nil
	}
	k, err := a.keys.KeyByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", ErrUnknownKey
	case err != nil:
		return "", fmt.Errorf("auth: look up key: %w", err)
	case k.RevokedAt != nil:
		return "", ErrRevokedKey
	}
	a.remember(hash, k.ProjectID)
	return k.ProjectID, nil
}

func (a *Authenticator) cached(hash []byte) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.cache[string(hash)]
	if !ok {
		return "", false
	}
	if !a.now().Before(e.expires) {
		delete(a.cache, string(hash))
		return "", false
	}
	return e.projectID, true
}

func (a *Authenticator) remember(hash []byte, projectID string) {
	if a.cacheTTL <= 0 {
		return
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= maxCacheEntries {
		for h, e := range a.cache {
			if !now.Before(e.expires) {
				delete(a.cache, h)
			}
		}
		if len(a.cache) >= maxCacheEntries {
			clear(a.cache)
		}
	}
	a.cache[string(hash)] = cacheEntry{projectID: projectID, expires: now.Add(a.cacheTTL)}
}

// FromRequest returns the project of the request's credential. The rules:
//
//   - X-Agentops-Api-Key: KEY is an API key. When present it wins over
//     Authorization, which a proxy in front of the server may use for itself.
//   - Authorization: Bearer CRED is an API key when CRED is a UUID (some
//     clients send their key there; a JWT never parses as one), else a token.
//   - Any other Authorization scheme is not ours and counts as no credential.
//
// Errors: ErrNoCredential, ErrInvalidKeyFormat, ErrUnknownKey, ErrRevokedKey,
// ErrInvalidToken, or a store failure. A token obtained with Exchange is
// refused with ErrInvalidToken once its key is revoked or gone, so a revoked
// key's holder cannot keep going on a token issued before.
func (a *Authenticator) FromRequest(r *http.Request) (projectID string, err error) {
	return a.FromCredentials(r.Context(), r.Header.Get(HeaderAPIKey), r.Header.Get("Authorization"))
}

// FromCredentials is FromRequest for the values of the X-Agentops-Api-Key
// and Authorization headers however they arrived (gRPC metadata carries
// them too), "" for a header absent.
func (a *Authenticator) FromCredentials(ctx context.Context, apiKey, authorization string) (projectID string, err error) {
	if key := strings.TrimSpace(apiKey); key != "" {
		return a.ProjectForKey(ctx, key)
	}
	cred, ok := bearerOf(authorization)
	if !ok {
		return "", ErrNoCredential
	}
	if _, isKey := canonicalKey(cred); isKey {
		return a.ProjectForKey(ctx, cred)
	}
	return a.verifyLive(ctx, cred)
}

// bearer returns the credential of an "Authorization: Bearer CRED" header.
// ok is false when there is no such header; an empty CRED is returned as is
// (and fails as a token).
func bearer(r *http.Request) (cred string, ok bool) { return bearerOf(r.Header.Get("Authorization")) }

// bearerOf is bearer for the value of an Authorization header.
func bearerOf(header string) (cred string, ok bool) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(header), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(cred), true
}

// verifyLive is VerifyToken plus, for a token tied to an API key, a check
// that the key still stands.
func (a *Authenticator) verifyLive(ctx context.Context, token string) (string, error) {
	c, err := a.parse(token)
	if err != nil {
		return "", err
	}
	if c.KeyID == "" {
		return c.ProjectID, nil
	}
	hash, err := hex.DecodeString(c.KeyID)
	if err != nil {
		return "", fmt.Errorf("%w: bad key_id", ErrInvalidToken)
	}
	keyProject, err := a.projectForHash(ctx, hash)
	switch {
	case errors.Is(err, ErrUnknownKey), errors.Is(err, ErrRevokedKey):
		// Only ErrInvalidToken is wrapped: the answer is 401, so the client
		// asks for a new token and learns then that its key is refused.
		return "", fmt.Errorf("%w: %v", ErrInvalidToken, err)
	case err != nil:
		return "", err
	case keyProject != c.ProjectID:
		return "", fmt.Errorf("%w: key belongs to another project", ErrInvalidToken)
	}
	return c.ProjectID, nil
}

// HTTPStatus maps an error of FromRequest to the status and message a
// request with that credential is answered: 401 for a missing credential or
// a bad token (the client should get a new one), 403 for a key that is
// malformed, unknown or revoked, 500 for anything else (a store failure).
func HTTPStatus(err error) (int, string) {
	switch {
	case errors.Is(err, ErrNoCredential):
		return http.StatusUnauthorized, "missing credential: send X-Agentops-Api-Key: <key> or Authorization: Bearer <token>"
	case errors.Is(err, ErrInvalidToken):
		return http.StatusUnauthorized, "invalid or expired token"
	case errors.Is(err, ErrInvalidKeyFormat):
		return http.StatusForbidden, "invalid API key format"
	case errors.Is(err, ErrUnknownKey):
		return http.StatusForbidden, "unknown API key"
	case errors.Is(err, ErrRevokedKey):
		return http.StatusForbidden, "API key has been revoked"
	}
	return http.StatusInternalServerError, "internal error while checking the credential"
}
