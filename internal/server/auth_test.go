package server

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// TestAuthentication holds every authenticated endpoint to the table of
// docs/API.md "Authentication", on one live server.
func TestAuthentication(t *testing.T) {
	ts := startServer(t)
	st := ts.srv.store
	projA := project(t, st, "default")
	session := hexTrace(0xb1, 1)
	postSpan(t, ts, session, nil)

	// Revoked before its first use: unknown and revoked keys are never
	// cached, so the refusal does not depend on the auth cache's TTL.
	revoked := addKey(t, st, projA.ID)
	revokeKey(t, st, revoked)
	unknown, _ := auth.NewKey()
	token := exchange(t, ts, ts.Key)

	noKey := []string{auth.HeaderAPIKey, ""}
	creds := []struct {
		name   string
		header []string
		status int
		error  string // the documented message; "" for 200
	}{
		{"no credential", noKey, 401, "missing credential: send X-Agentops-Api-Key: <key> or Authorization: Bearer <token>"},
		{"malformed key", []string{auth.HeaderAPIKey, "not-a-uuid"}, 403, "invalid API key format"},
		{"key with braces", []string{auth.HeaderAPIKey, "{" + ts.Key[:34] + "}"}, 403, "invalid API key format"},
		{"unknown key", []string{auth.HeaderAPIKey, unknown}, 403, "unknown API key"},
		{"revoked key", []string{auth.HeaderAPIKey, revoked}, 403, "API key has been revoked"},
		{"valid key", nil, 200, ""},
		{"valid key in upper case", []string{auth.HeaderAPIKey, strings.ToUpper(ts.Key)}, 200, ""},
		{"bearer token", append(noKey, "Authorization", "Bearer "+token), 200, ""},
		{"garbage bearer", append(noKey, "Authorization", "Bearer garbage.not.ajwt"), 401, "invalid or expired token"},
		{"empty bearer", append(noKey, "Authorization", "Bearer "), 401, "invalid or expired token"},
		{"token with a forged signature", append(noKey, "Authorization", "Bearer "+token[:len(token)-4]+"AAAA"), 401, "invalid or expired token"},
		{"other scheme", append(noKey, "Authorization", "Basic dXNlcjpwYXNz"), 401, "missing credential: send X-Agentops-Api-Key: <key> or Authorization: Bearer <token>"},
	}
	endpoints := []struct {
		method, path string
		// check verifies a 200 answer.
		check func(t *testing.T, body []byte)
	}{
		{"POST", "/v1/traces", nil},
		{"GET", "/v2/sessions", func(t *testing.T, body []byte) {
			if ids := listIDs(t, body); !slices.Contains(ids, session) {
				t.Errorf("list %v lacks the project's session %s", ids, session)
			}
		}},
		{"GET", "/v2/sessions/" + session + "/stats", func(t *testing.T, body []byte) {
			var s api.SessionStats
			if err := json.Unmarshal(body, &s); err != nil || s.SessionID != session {
				t.Errorf("stats = %s (%v), want session %s", body, err, session)
			}
		}},
		{"GET", "/v2/sessions/" + session + "/export", func(t *testing.T, body []byte) {
			var e api.SessionExport
			if err := json.Unmarshal(body, &e); err != nil || e.Session.ID != session || e.Session.ProjectID != projA.ID {
				t.Errorf("export session = %+v (%v), want %s of project %s", e.Session, err, session, projA.ID)
			}
		}},
	}

	n := uint64(0)
	for _, ep := range endpoints {
		for _, c := range creds {
			t.Run(ep.method+" "+ep.path+"/"+c.name, func(t *testing.T) {
				n++
				var body io.Reader
				trace := hexTrace(0xb2, n)
				if ep.method == "POST" {
					body = strings.NewReader(spanJSON(trace, "0000000000000001", "auth"))
				}
				status, b, _ := ts.do(t, ep.method, ep.path, contentJSON, body, c.header...)
				if status != c.status {
					t.Fatalf("status = %d, want %d; body %s", status, c.status, b)
				}
				if status != 200 {
					checkErrorBody(t, response{status, b, http.Header{"Content-Type": {"application/json"}}})
					var e struct{ Error string }
					if err := json.Unmarshal(b, &e); err != nil || e.Error != c.error {
						t.Errorf("error = %q, want %q", e.Error, c.error)
					}
				} else if ep.check != nil {
					ep.check(t, b)
				}
				if ep.method == "POST" {
					// Refused spans are not stored; accepted ones are.
					want := 404
					if c.status == 200 {
						want = 200
					}
					if status, b, _ := ts.do(t, "GET", "/v2/sessions/"+trace+"/stats", "", nil); status != want {
						t.Errorf("session sent with %s: GET stats = %d %s, want %d", c.name, status, b, want)
					}
				}
			})
		}
	}
}

// TestProjectIsolation: another project's session is indistinguishable from
// one that never existed, and a span cannot name its own project.
func TestProjectIsolation(t *testing.T) {
	ts := startServer(t)
	st := ts.srv.store
	projA := project(t, st, "default")
	projB, err := st.CreateProject(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	keyB := addKey(t, st, projB.ID)
	asB := []string{auth.HeaderAPIKey, keyB}
	tokenB := exchange(t, ts, keyB)
	asBToken := []string{auth.HeaderAPIKey, "", "Authorization", "Bearer " + tokenB}

	sessionA := hexTrace(0xc1, 1)
	postSpan(t, ts, sessionA, nil)
	// Sent with project A's key but naming project B: must land in A.
	spoofed := hexTrace(0xc1, 2)
	postSpan(t, ts, spoofed, map[string]string{semconv.ProjectID: projB.ID})
	never := hexTrace(0xc1, 3)

	for _, as := range []struct {
		name   string
		header []string
	}{{"key", asB}, {"token", asBToken}} {
		for _, suffix := range []string{"/stats", "/export"} {
			wantStatus, wantBody, _ := ts.do(t, "GET", "/v2/sessions/"+never+suffix, "", nil, as.header...)
			if wantStatus != 404 {
				t.Fatalf("B's %s GET %s of a session that never existed = %d %s", as.name, suffix, wantStatus, wantBody)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(wantBody, &e); err != nil || e.Error != "session not found" {
				t.Errorf("404 body = %s, want {\"error\": \"session not found\"}", wantBody)
			}
			for _, id := range []string{sessionA, spoofed} {
				status, body, _ := ts.do(t, "GET", "/v2/sessions/"+id+suffix, "", nil, as.header...)
				if status != 404 || !bytes.Equal(body, wantBody) {
					t.Errorf("B's %s GET %s of A's session = %d %q; want 404 %q, byte for byte as for a session that never existed",
						as.name, suffix, status, body, wantBody)
				}
			}
		}
		_, body, _ := ts.do(t, "GET", "/v2/sessions", "", nil, as.header...)
		if ids := listIDs(t, body); len(ids) != 0 {
			t.Errorf("B's list (%s) = %v, want none of A's sessions", as.name, ids)
		}
	}

	_, body, _ := ts.do(t, "GET", "/v2/sessions", "", nil)
	if ids := listIDs(t, body); !slices.Contains(ids, sessionA) || !slices.Contains(ids, spoofed) {
		t.Errorf("A's list = %v, want %s and %s", ids, sessionA, spoofed)
	}
	exp, _ := getExport(t, ts, spoofed)
	if exp.Session.ProjectID != projA.ID {
		t.Errorf("spoofed session belongs to %s, want A (%s): the span's %s must be ignored", exp.Session.ProjectID, projA.ID, semconv.ProjectID)
	}
}

// TestTokenEndpoint holds /v3/auth/token to docs/API.md.
func TestTokenEndpoint(t *testing.T) {
	ts := startServer(t)
	st := ts.srv.store
	projA := project(t, st, "default")
	revoked := addKey(t, st, projA.ID)
	revokeKey(t, st, revoked)
	unknown, _ := auth.NewKey()

	tokenBody := func(key string) io.Reader { return strings.NewReader(`{"api_key":"` + key + `"}`) }
	rows := []struct {
		name   string
		method string
		body   io.Reader
		header []string
		status int
		error  string
	}{
		{"POST non-UUID key", "POST", tokenBody("not-a-uuid"), nil, 400, "Invalid API key format"},
		{"POST invalid JSON", "POST", strings.NewReader(`{"api_key":`), nil, 400, "Invalid JSON body"},
		{"POST unknown key", "POST", tokenBody(unknown), nil, 403, "Unknown API key"},
		{"POST revoked key", "POST", tokenBody(revoked), nil, 403, "API key has been revoked"},
		{"POST oversize body", "POST", strings.NewReader(`{"api_key":"` + strings.Repeat("x", 65<<10) + `"}`), nil, 413, "Request body too large"},
		{"GET without token", "GET", nil, nil, 401, "Missing bearer token"},
		{"GET with a bad token", "GET", nil, []string{"Authorization", "Bearer not.a.token"}, 401, "Invalid or expired token"},
		{"PUT", "PUT", nil, nil, 405, "Method not allowed"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			// The endpoint takes no API key header; send none.
			status, body, h := ts.do(t, r.method, "/v3/auth/token", contentJSON, r.body, append([]string{auth.HeaderAPIKey, ""}, r.header...)...)
			if status != r.status {
				t.Fatalf("status = %d, want %d; body %s", status, r.status, body)
			}
			var e map[string]any
			if err := json.Unmarshal(body, &e); err != nil || e["error"] != r.error {
				t.Errorf("body = %s, want {\"error\": %q}", body, r.error)
			}
			if status == 401 && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if status == 405 && h.Get("Allow") != "GET, POST" {
				t.Errorf("Allow = %q, want \"GET, POST\"", h.Get("Allow"))
			}
		})
	}

	t.Run("POST valid key, then GET with its token", func(t *testing.T) {
		status, body, _ := ts.do(t, "POST", "/v3/auth/token", contentJSON, tokenBody(ts.Key), auth.HeaderAPIKey, "")
		if status != 200 {
			t.Fatalf("POST = %d %s", status, body)
		}
		var tok struct {
			Token      string `json:"token"`
			ProjectID  string `json:"project_id"`
			PremStatus string `json:"project_prem_status"`
		}
		if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" || tok.ProjectID != projA.ID || tok.PremStatus != "pro" {
			t.Fatalf("POST body = %s (%v); want a token, project_id %s, project_prem_status pro", body, err, projA.ID)
		}
		status, body, _ = ts.do(t, "GET", "/v3/auth/token", "", nil, auth.HeaderAPIKey, "", "Authorization", "Bearer "+tok.Token)
		var v struct {
			Valid     bool   `json:"valid"`
			ProjectID string `json:"project_id"`
		}
		if status != 200 || json.Unmarshal(body, &v) != nil || !v.Valid || v.ProjectID != projA.ID {
			t.Errorf("GET = %d %s; want 200 valid for project %s", status, body, projA.ID)
		}
	})
}

func project(t *testing.T, st store.Store, name string) store.Project {
	t.Helper()
	p, err := st.ProjectByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// addKey creates an API key of projectID, as `agentops keys create` does.
func addKey(t *testing.T, st store.Store, projectID string) string {
	t.Helper()
	key, k := auth.NewKey()
	k.ProjectID = projectID
	if err := st.AddKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return key
}

func revokeKey(t *testing.T, st store.Store, key string) {
	t.Helper()
	hash, err := auth.HashKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeKey(context.Background(), hash, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// exchange trades key for a token at POST /v3/auth/token.
func exchange(t *testing.T, ts *testServer, key string) string {
	t.Helper()
	status, body, _ := ts.do(t, "POST", "/v3/auth/token", contentJSON, strings.NewReader(`{"api_key":"`+key+`"}`))
	var tok struct{ Token string }
	if status != 200 || json.Unmarshal(body, &tok) != nil || tok.Token == "" {
		t.Fatalf("POST /v3/auth/token = %d %s", status, body)
	}
	return tok.Token
}

// postSpan stores a one-span session with the default project's key.
func postSpan(t *testing.T, ts *testServer, trace string, attrs map[string]string) {
	t.Helper()
	body := protoRequest(t, func(ss ptrace.SpanSlice) {
		sp := addSpan(ss, mustTraceID(t, trace), spanID(1), "root")
		for k, v := range attrs {
			sp.Attributes().PutStr(k, v)
		}
	})
	status, b, _ := ts.do(t, "POST", "/v1/traces", contentProto, bytes.NewReader(body))
	if status != 200 {
		t.Fatalf("POST /v1/traces = %d %s", status, b)
	}
	checkStored(t, ts, trace, 1)
}

func listIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var l api.SessionList
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("list: %v in %s", err, body)
	}
	ids := make([]string, len(l.Sessions))
	for i, s := range l.Sessions {
		ids[i] = s.ID
	}
	return ids
}

func mustTraceID(t *testing.T, s string) pcommon.TraceID {
	t.Helper()
	var id pcommon.TraceID
	if n, err := hex.Decode(id[:], []byte(s)); err != nil || n != len(id) {
		t.Fatalf("trace id %q: %v", s, err)
	}
	return id
}
