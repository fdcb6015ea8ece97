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
// in an HttpOnly, SameSite=Strict cookie (Secure over TLS), mapped to the
// login in memory: a restart logs everyone out. Every state-changing form
// carries a CSRF token. Without a login nothing is readable, unless the
// server runs with Options.Open (which the server allows on loopback only).
//
// Every value that comes from a span goes through html/template escaping;
// the Content-Security-Policy allows scripts and styles from the server's
// own /static/ only, so markup that slipped through could not run anyway.
package dashboard
