package auth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidToken is returned for a token that is malformed, not signed by
// this server with HS256, expired, or whose API key has since been revoked.
var ErrInvalidToken = errors.New("invalid token")

// claims is a token's payload.
type claims struct {
	ProjectID string `json:"project_id"`
	// KeyID is the hex hash of the API key the token was exchanged for, so
	// revoking the key also ends its tokens (see Authenticator.FromRequest).
	// Empty for tokens issued by IssueToken. It reveals nothing: the hash of
	// a 122-bit random key cannot be reversed, and the token's holder had
	// the key anyway.
	KeyID string `json:"key_id,omitempty"`
	// SessionID is the session a legacy (v2 API) token was issued for:
	// those SDKs name their session only through the token in some calls
	// (create_agent). Empty for other tokens.
	SessionID string `json:"session_id,omitempty"`
	jwt.RegisteredClaims
}

// IssueToken returns a token for projectID, valid for the token lifetime
// (WithTokenTTL). It is not tied to any API key: only its expiry ends it.
// Clients exchanging a key use Exchange instead.
func (a *Authenticator) IssueToken(projectID string) (string, error) {
	return a.issue(projectID, nil)
}

func (a *Authenticator) issue(projectID string, keyHash []byte) (string, error) {
	return a.issueFor(projectID, keyHash, "")
}

func (a *Authenticator) issueFor(projectID string, keyHash []byte, sessionID string) (string, error) {
	if projectID == "" {
		return "", errors.New("auth: issue token: empty project id")
	}
	now := a.now()
	c := claims{
		ProjectID: projectID,
		KeyID:     hex.EncodeToString(keyHash),
		SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(a.tokenTTL)),
		},
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(a.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return token, nil
}

// VerifyToken checks token's signature, algorithm (HS256 only, so neither
// "none" nor another algorithm is accepted) and expiry, and returns its
// project. It does not consult the store, so it does not see a revoked key;
// FromRequest does.
func (a *Authenticator) VerifyToken(token string) (projectID string, err error) {
	c, err := a.parse(token)
	if err != nil {
		return "", err
	}
	return c.ProjectID, nil
}

func (a *Authenticator) parse(token string) (*claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c,
		func(*jwt.Token) (any, error) { return a.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.ProjectID == "" {
		return nil, fmt.Errorf("%w: no project_id", ErrInvalidToken)
	}
	return &c, nil
}

// SessionToken returns a token for projectID that also names a session,
// as the legacy v2 API's create_session answers. It is tied to the same API
// key as the request's credential (the key itself, or the key a presented
// token is tied to), so revoking that key ends it too. Call it only for a
// request FromRequest accepted for projectID.
func (a *Authenticator) SessionToken(r *http.Request, projectID, sessionID string) (string, error) {
	var keyHash []byte
	cred := strings.TrimSpace(r.Header.Get(HeaderAPIKey))
	if cred == "" {
		cred, _ = bearer(r)
	}
	if _, isKey := canonicalKey(cred); isKey {
		h, err := HashKey(cred)
		if err != nil {
			return "", err
		}
		keyHash = h
	} else {
		c, err := a.parse(cred)
		if err != nil {
			return "", err
		}
		if keyHash, err = hex.DecodeString(c.KeyID); err != nil {
			return "", fmt.Errorf("%w: bad key_id", ErrInvalidToken)
		}
	}
	return a.issueFor(projectID, keyHash, sessionID)
}

// TokenSession returns the session a token from IssueSessionToken names,
// "" for another valid token, or ErrInvalidToken. It checks the signature
// and expiry only: authenticate the request with FromRequest first.
func (a *Authenticator) TokenSession(token string) (string, error) {
	c, err := a.parse(token)
	if err != nil {
		return "", err
	}
	return c.SessionID, nil
}
