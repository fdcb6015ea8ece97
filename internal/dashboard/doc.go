// Package dashboard is the web dashboard `agentops serve` answers at /:
// server-rendered html/template pages (overview, sessions, one session with
// its waterfall, span tree and LLM transcripts), SVG charts drawn on the
// server, and a little plain JavaScript (static/app.js) for collapsing the
// tree, loading a span's details and refreshing live sessions. Templates
// and assets are embedded; nothing is built.
//
// Access: a login holds one or more projects, by their API keys (checked
// with internal/auth at login; the server keeps only their hashes and looks
// them up again at every request, so a revoked key stops working at once)
// or, with the dashboard password, every project. The login is a random token
// in an HttpOnly, SameSite=Strict cookie (Secure over TLS), valid 12 hours.
// Logins are kept in memory and, when the store keeps them (store.Logins),
// in the database under the token's SHA-256, so a restart logs nobody out;
// a logout deletes the login; a password login comes back from the
// database only while the password is unchanged. Every state-changing form
// carries a CSRF token. Without a login nothing is readable, unless the
// server runs with Options.Open (which the server allows on loopback only).
//
// Every value that comes from a span goes through html/template escaping;
// the Content-Security-Policy allows scripts and styles from the server's
// own /static/ only, so markup that slipped through could not run anyway.
package dashboard
