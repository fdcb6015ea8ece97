package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

func TestSessionIDs(t *testing.T) {
	s := newStore(t)
	write(t, s, now, fullSession(t, "p1")...)
	h := newHandler(s)
	hex := fullID.String()
	dashed := hex[0:8] + "-" + hex[8:12] + "-" + hex[12:16] + "-" + hex[16:20] + "-" + hex[20:]
	tests := []struct {
		id   string
		want int
	}{
		{hex, http.StatusOK},
		{strings.ToUpper(hex), http.StatusOK},
		{dashed, http.StatusOK},
		{hex[:31], http.StatusBadRequest},
		{hex + "0", http.StatusBadRequest},
		{strings.Repeat("g", 32), http.StatusBadRequest},
		{"not-an-id", http.StatusBadRequest},
		{"%20" + hex[2:], http.StatusBadRequest},
	}
	for _, tc := range tests {
		for _, route := range []string{"stats", "export"} {
			t.Run(route+"/"+tc.id, func(t *testing.T) {
				rec := serve(t, h, http.MethodGet, "/v2/sessions/"+tc.id+"/"+route, "p1")
				if rec.Code != tc.want {
					t.Fatalf("status %d, want %d; body %s", rec.Code, tc.want, rec.Body)
				}
				if tc.want == http.StatusBadRequest {
					if body := decode[map[string]string](t, rec); body["error"] != msgBadID {
						t.Errorf("body %v", body)
					}
				}
			})
		}
	}
}

// TestNotFoundLeaksNothing: a session of another project is answered byte
// for byte like a session that does not exist.
func TestNotFoundLeaksNothing(t *testing.T) {
	s := newStore(t)
	write(t, s, now, fullSession(t, "p2")...) // fullID exists, in p2 only
	h := newHandler(s)
	for _, route := range []string{"stats", "export"} {
		t.Run(route, func(t *testing.T) {
			own := serve(t, h, http.MethodGet, "/v2/sessions/"+fullID.String()+"/"+route, "p2")
			if own.Code != http.StatusOK {
				t.Fatalf("owner: status %d", own.Code)
			}
			foreign := serve(t, h, http.MethodGet, "/v2/sessions/"+fullID.String()+"/"+route, "p1")
			unknown := serve(t, h, http.MethodGet, "/v2/sessions/"+traceID(0x77).String()+"/"+route, "p1")
			for _, rec := range []struct {
				name string
				code int
				body string
			}{{"other project", foreign.Code, foreign.Body.String()}, {"unknown", unknown.Code, unknown.Body.String()}} {
				if rec.code != http.StatusNotFound || rec.body != `{"error":"session not found"}`+"\n" {
					t.Errorf("%s: %d %q", rec.name, rec.code, rec.body)
				}
			}
			if !bytes.Equal(foreign.Body.Bytes(), unknown.Body.Bytes()) {
				t.Errorf("bodies differ:\n%q\n%q", foreign.Body, unknown.Body)
			}
			for _, k := range []string{"Content-Type", "Content-Length", "Cache-Control"} {
				if foreign.Header().Get(k) != unknown.Header().Get(k) {
					t.Errorf("header %s differs: %q vs %q", k, foreign.Header().Get(k), unknown.Header().Get(k))
				}
			}
		})
	}
	t.Run("list", func(t *testing.T) {
		rec := serve(t, h, http.MethodGet, "/v2/sessions", "p1")
		if list := decode[SessionList](t, rec); len(list.Sessions) != 0 {
			t.Errorf("p1 lists %v", ids(list))
		}
	})
}

func TestRequestErrors(t *testing.T) {
	s := newStore(t)
	write(t, s, now, fullSession(t, "p1")...)
	h := newHandler(s)
	id := fullID.String()
	tests := []struct {
		name, method, target, project string
		want                          int
		wantError                     string
		allow                         string
	}{
		{"no project: stats", http.MethodGet, "/v2/sessions/" + id + "/stats", "", http.StatusUnauthorized, msgUnauthorized, ""},
		{"no project: export", http.MethodGet, "/v2/sessions/" + id + "/export", "", http.StatusUnauthorized, msgUnauthorized, ""},
		{"no project: list", http.MethodGet, "/v2/sessions", "", http.StatusUnauthorized, msgUnauthorized, ""},
		{"no project: unknown route", http.MethodGet, "/v2/nothing", "", http.StatusUnauthorized, msgUnauthorized, ""},
		{"POST stats", http.MethodPost, "/v2/sessions/" + id + "/stats", "p1", http.StatusMethodNotAllowed, msgMethod, "GET, HEAD"},
		{"DELETE export", http.MethodDelete, "/v2/sessions/" + id + "/export", "p1", http.StatusMethodNotAllowed, msgMethod, "GET, HEAD"},
		{"PUT list", http.MethodPut, "/v2/sessions", "p1", http.StatusMethodNotAllowed, msgMethod, "GET, HEAD"},
		{"unknown sub-route", http.MethodGet, "/v2/sessions/" + id + "/video", "p1", http.StatusNotFound, msgNoRoute, ""},
		{"session without route", http.MethodGet, "/v2/sessions/" + id, "p1", http.StatusNotFound, msgNoRoute, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(t, h, tc.method, tc.target, tc.project)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.want, rec.Body)
			}
			if body := decode[map[string]string](t, rec); body["error"] != tc.wantError || len(body) != 1 {
				t.Errorf("body %v, want error %q", body, tc.wantError)
			}
			if got := rec.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestHead(t *testing.T) {
	s := newStore(t)
	write(t, s, now, fullSession(t, "p1")...)
	h := newHandler(s)
	for _, target := range []string{"/v2/sessions/" + fullID.String() + "/stats", "/v2/sessions/" + fullID.String() + "/export", "/v2/sessions"} {
		get := serve(t, h, http.MethodGet, target, "p1")
		head := serve(t, h, http.MethodHead, target, "p1")
		if head.Code != http.StatusOK || head.Header().Get("Content-Length") != get.Header().Get("Content-Length") {
			t.Errorf("HEAD %s: %d, length %s; GET length %s", target, head.Code, head.Header().Get("Content-Length"), get.Header().Get("Content-Length"))
		}
	}
}

// brokenReader fails every read, as a store whose disk went away.
type brokenReader struct{}

var errDisk = errors.New("disk I/O error at /var/lib/agentops/agentops.db")

func (brokenReader) Session(context.Context, string, model.TraceID) (model.Session, error) {
	return model.Session{}, errDisk
}
func (brokenReader) Spans(context.Context, string, model.TraceID) ([]model.Span, error) {
	return nil, errDisk
}
func (brokenReader) Sessions(context.Context, string, store.SessionQuery) (store.SessionPage, error) {
	return store.SessionPage{}, errDisk
}

// TestStoreErrors: a store failure is a generic 500 for the client and the
// detail in the log.
func TestStoreErrors(t *testing.T) {
	var logs bytes.Buffer
	h := New(brokenReader{}, Options{Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, target := range []string{"/v2/sessions/" + fullID.String() + "/stats", "/v2/sessions/" + fullID.String() + "/export", "/v2/sessions"} {
		logs.Reset()
		rec := serve(t, h, http.MethodGet, target, "p1")
		if rec.Code != http.StatusInternalServerError || rec.Body.String() != `{"error":"internal server error"}`+"\n" {
			t.Errorf("GET %s: %d %s", target, rec.Code, rec.Body)
		}
		if !strings.Contains(logs.String(), errDisk.Error()) {
			t.Errorf("GET %s: log %q lacks the store error", target, logs.String())
		}
	}
}

func TestProjectContext(t *testing.T) {
	if _, ok := ProjectFrom(context.Background()); ok {
		t.Error("ProjectFrom(empty context) reports a project")
	}
	if _, ok := ProjectFrom(WithProject(context.Background(), "")); ok {
		t.Error("an empty project id counts as a project")
	}
	if id, ok := ProjectFrom(WithProject(context.Background(), "p1")); !ok || id != "p1" {
		t.Errorf("ProjectFrom = %q, %v", id, ok)
	}
}
