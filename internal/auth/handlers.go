package auth

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// MaxTokenRequestBytes bounds the body of POST /v3/auth/token.
const MaxTokenRequestBytes = 64 << 10

// PremStatus is the project_prem_status every project reports. The official
// AgentOps SDKs only read it to print a "free plan" notice when it is not
// "pro"; a self-hosted server has no plans or limits, so "pro" it is.
const PremStatus = "pro"

// Messages of the error bodies. msgInvalidKeyFormat is what the official
// AgentOps API answers, word for word.
const (
	msgInvalidKeyFormat = "Invalid API key format"
	msgUnknownKey       = "Unknown API key"
	msgRevokedKey       = "API key has been revoked"
	msgInvalidJSON      = "Invalid JSON body"
	msgTooLarge         = "Request body too large"
	msgMissingToken     = "Missing bearer token"
	msgInvalidToken     = "Invalid or expired token"
	msgMethod           = "Method not allowed"
	msgInternal         = "Internal server error"
)

type tokenRequest struct {
	APIKey string `json:"api_key"`
}

type tokenResponse struct {
	Token      string `json:"token"`
	ProjectID  string `json:"project_id"`
	PremStatus string `json:"project_prem_status"`
}

type verifyResponse struct {
	Valid     bool   `json:"valid"`
	ProjectID string `json:"project_id"`
}

type errorResponse struct {
	Error string `json:"error"`
}

// TokenHandler serves /v3/auth/token (the caller mounts it there):
//
//   - POST {"api_key": KEY} exchanges a key for a token: 200
//     {"token", "project_id", "project_prem_status"}; 400 for a body that is
//     not JSON or a key that is not a UUID; 403 for an unknown or revoked key;
//     413 for a body over MaxTokenRequestBytes.
//   - GET with "Authorization: Bearer TOKEN" verifies a token: 200
//     {"valid": true, "project_id"}, or 401.
//   - Any other method: 405 with an Allow header.
//
// Every answer is JSON; errors are {"error": MESSAGE}.
func TokenHandler(a *Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			a.serveIssue(w, r)
		case http.MethodGet:
			a.serveVerify(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, http.StatusMethodNotAllowed, msgMethod)
		}
	})
}

func (a *Authenticator) serveIssue(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if status, msg := decodeBody(w, r, &req); status != 0 {
		writeError(w, status, msg)
		return
	}
	token, projectID, err := a.Exchange(r.Context(), req.APIKey)
	switch {
	case errors.Is(err, ErrInvalidKeyFormat):
		writeError(w, http.StatusBadRequest, msgInvalidKeyFormat)
	case errors.Is(err, ErrUnknownKey):
		writeError(w, http.StatusForbidden, msgUnknownKey)
	case errors.Is(err, ErrRevokedKey):
		writeError(w, http.StatusForbidden, msgRevokedKey)
	case err != nil:
		a.log.ErrorContext(r.Context(), "issue token", "err", err)
		writeError(w, http.StatusInternalServerError, msgInternal)
	default:
		writeJSON(w, http.StatusOK, tokenResponse{Token: token, ProjectID: projectID, PremStatus: PremStatus})
	}
}

func (a *Authenticator) serveVerify(w http.ResponseWriter, r *http.Request) {
	token, ok := bearer(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeError(w, http.StatusUnauthorized, msgMissingToken)
		return
	}
	projectID, err := a.verifyLive(r.Context(), token)
	switch {
	case errors.Is(err, ErrInvalidToken):
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, msgInvalidToken)
	case err != nil:
		a.log.ErrorContext(r.Context(), "verify token", "err", err)
		writeError(w, http.StatusInternalServerError, msgInternal)
	default:
		writeJSON(w, http.StatusOK, verifyResponse{Valid: true, ProjectID: projectID})
	}
}

// decodeBody reads one JSON value of at most MaxTokenRequestBytes into v.
// It returns 0 on success, else the status and message to answer.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) (status int, msg string) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxTokenRequestBytes))
	err := dec.Decode(v)
	if err == nil {
		// Reject trailing data: the body must be exactly one value.
		if err = dec.Decode(&struct{}{}); err == io.EOF {
			return 0, ""
		} else if err == nil {
			err = errors.New("trailing data")
		}
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge, msgTooLarge
	}
	return http.StatusBadRequest, msgInvalidJSON
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorResponse{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store") // bodies carry tokens (RFC 6749 §5.1)
	w.WriteHeader(status)
	// An error here is the client gone; there is nobody left to tell.
	_ = json.NewEncoder(w).Encode(v)
}

type accessTokenResponse struct {
	Bearer string `json:"bearer"`
}

// AccessTokenHandler serves POST /public/v1/auth/access_token, the public
// API's token exchange (the caller mounts it there): {"api_key": KEY} → 200
// {"bearer": TOKEN}, a token every route accepts as "Authorization: Bearer
// TOKEN", scoped to the key's project and valid as long as the tokens of
// /v3/auth/token. Errors as TokenHandler's (400, 403, 413), each
// {"error": MESSAGE, "detail": MESSAGE}: detail is what the hosted API's
// clients read. Other methods: 405.
func AccessTokenHandler(a *Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, msg string) {
			writeJSON(w, status, map[string]string{"error": msg, "detail": msg})
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			fail(http.StatusMethodNotAllowed, msgMethod)
			return
		}
		var req tokenRequest
		if status, msg := decodeBody(w, r, &req); status != 0 {
			fail(status, msg)
			return
		}
		token, _, err := a.Exchange(r.Context(), req.APIKey)
		switch {
		case errors.Is(err, ErrInvalidKeyFormat):
			fail(http.StatusBadRequest, msgInvalidKeyFormat)
		case errors.Is(err, ErrUnknownKey):
			fail(http.StatusForbidden, msgUnknownKey)
		case errors.Is(err, ErrRevokedKey):
			fail(http.StatusForbidden, msgRevokedKey)
		case err != nil:
			a.log.ErrorContext(r.Context(), "issue public API token", "err", err)
			fail(http.StatusInternalServerError, msgInternal)
		default:
			writeJSON(w, http.StatusOK, accessTokenResponse{Bearer: token})
		}
	})
}
