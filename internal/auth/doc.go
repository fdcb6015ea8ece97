// Package auth turns a request's credential into the project it belongs to.
//
// Two credentials exist. An API key is a random UUIDv4 a human creates with
// the CLI; the server stores only its SHA-256 hash (see HashKey). A token is
// an HS256 JWT the server issues in exchange for a key (POST /v3/auth/token,
// the official AgentOps SDKs' flow), carrying the project id and signed with
// a secret kept in the data directory (LoadOrCreateSecret).
//
// The project of a request always comes from its credential, never from
// anything the client says about itself. Authenticator.FromRequest applies the
// header rules; TokenHandler serves /v3/auth/token. The sentinel errors tell
// the HTTP layer which status to answer.
package auth
