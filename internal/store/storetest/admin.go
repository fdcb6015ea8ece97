package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

func testProjects(t *testing.T, s store.Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	a, err := s.CreateProject(ctx, "acme")
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	if a.ID == "" || a.Name != "acme" || a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("created %+v", a)
	}
	if len(a.ID) != 36 || a.ID[8] != '-' {
		t.Errorf("project id %q is not a UUID", a.ID)
	}
	if _, err := s.CreateProject(ctx, "acme"); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateProject(duplicate) error = %v, want ErrExists", err)
	}
	b, err := s.CreateProject(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	if b.ID == a.ID {
		t.Error("two projects share an id")
	}
	for _, get := range []struct {
		name string
		fn   func() (store.Project, error)
	}{
		{"ProjectByName", func() (store.Project, error) { return s.ProjectByName(ctx, "acme") }},
		{"Project", func() (store.Project, error) { return s.Project(ctx, a.ID) }},
	} {
		got, err := get.fn()
		if err != nil || got.ID != a.ID || got.Name != a.Name || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("%s = %+v, %v; want %+v", get.name, got, err, a)
		}
	}
	if _, err := s.ProjectByName(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ProjectByName(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Project(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Project(unknown) error = %v, want ErrNotFound", err)
	}
	list, err := s.ListProjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"acme", "beta"}) {
		t.Errorf("ListProjects names = %q", names)
	}
}

func testKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	k1 := store.Key{Hash: []byte("hash-of-key-one-0123456789abcdef"), Prefix: "11111111", ProjectID: p.ID, CreatedAt: created}
	k2 := store.Key{Hash: []byte{0, 1, 2, 0xff}, Prefix: "22222222", ProjectID: p.ID, CreatedAt: created.Add(time.Minute)}
	for _, k := range []store.Key{k1, k2} {
		if err := s.AddKey(ctx, k); err != nil {
			t.Fatalf("AddKey: %v", err)
		}
	}
	got, err := s.KeyByHash(ctx, k1.Hash)
	if err != nil {
		t.Fatalf("KeyByHash: %v", err)
	}
	if string(got.Hash) != string(k1.Hash) || got.Prefix != k1.Prefix || got.ProjectID != p.ID ||
		!got.CreatedAt.Equal(created) || got.RevokedAt != nil {
		t.Errorf("KeyByHash = %+v, want %+v", got, k1)
	}
	if _, err := s.KeyByHash(ctx, []byte("unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("KeyByHash(unknown) error = %v, want ErrNotFound", err)
	}

	revoked := created.Add(time.Hour)
	if err := s.RevokeKey(ctx, k2.Hash, revoked); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	if err := s.RevokeKey(ctx, []byte("unknown"), revoked); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeKey(unknown) error = %v, want ErrNotFound", err)
	}
	got, err = s.KeyByHash(ctx, k2.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if got.RevokedAt == nil || !got.RevokedAt.Equal(revoked) {
		t.Errorf("revoked key's RevokedAt = %v, want %v", got.RevokedAt, revoked)
	}

	list, err := s.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("ListKeys = %+v, want 2 keys", list)
	}
	for _, k := range list {
		if k.Project != "acme" || k.ProjectID != p.ID {
			t.Errorf("listed key %+v: want project acme", k)
		}
		if (k.Prefix == "22222222") != (k.RevokedAt != nil) {
			t.Errorf("listed key %s: RevokedAt = %v", k.Prefix, k.RevokedAt)
		}
	}
}

func testPrices(t *testing.T, s store.Store) {
	ctx := context.Background()
	prices := func(project string) []store.Price {
		t.Helper()
		ps, err := s.ProjectPrices(ctx, project)
		if err != nil {
			t.Fatalf("ProjectPrices: %v", err)
		}
		return ps
	}
	gpt := store.Price{Model: "gpt-4o", Input: 2.5e-6, Output: 1e-5, CacheRead: 1.25e-6, CacheWrite: 3e-6, Reasoning: 1e-5}
	claude := store.Price{Model: "claude-sonnet-4", Input: 3e-6, Output: 1.5e-5}
	for _, p := range []store.Price{gpt, claude} {
		if err := s.SetPrice(ctx, "p1", p); err != nil {
			t.Fatalf("SetPrice: %v", err)
		}
	}
	if err := s.SetPrice(ctx, "p2", store.Price{Model: "gpt-4o", Input: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := prices("p1"), []store.Price{claude, gpt}; !slices.Equal(got, want) {
		t.Errorf("prices = %+v, want %+v (by model name)", got, want)
	}
	gpt.Input = 5e-6 // replace
	if err := s.SetPrice(ctx, "p1", gpt); err != nil {
		t.Fatal(err)
	}
	if got, want := prices("p1"), []store.Price{claude, gpt}; !slices.Equal(got, want) {
		t.Errorf("after replace: prices = %+v, want %+v", got, want)
	}
	if err := s.DeletePrice(ctx, "p1", "claude-sonnet-4"); err != nil {
		t.Fatalf("DeletePrice: %v", err)
	}
	if err := s.DeletePrice(ctx, "p1", "claude-sonnet-4"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeletePrice(deleted) error = %v, want ErrNotFound", err)
	}
	if err := s.DeletePrice(ctx, "p3", "gpt-4o"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeletePrice(other project) error = %v, want ErrNotFound", err)
	}
	if got, want := prices("p1"), []store.Price{gpt}; !slices.Equal(got, want) {
		t.Errorf("after delete: prices = %+v, want %+v", got, want)
	}
	if got := prices("p2"); len(got) != 1 || got[0].Input != 1 {
		t.Errorf("p2's prices = %+v: changed by p1's", got)
	}
	if got := prices("p3"); len(got) != 0 {
		t.Errorf("p3's prices = %+v, want none", got)
	}
}

// testConcurrentReaders reads while a writer writes (run it with -race): a
// reader sees whole calls, never part of one.
func testConcurrentReaders(t *testing.T, s store.Store) {
	ctx := context.Background()
	trace := traceID(1)
	const calls, perCall = 25, 20
	done := make(chan struct{})
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			var last int64
			for {
				select {
				case <-done:
					return
				default:
				}
				sess, err := s.Session(ctx, "p1", trace)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if sess.Counts.Spans < last || sess.Counts.Spans%perCall != 0 {
					errs <- fmt.Errorf("session has %d spans after %d: a partial or lost write", sess.Counts.Spans, last)
					return
				}
				last = sess.Counts.Spans
				spans, err := s.Spans(ctx, "p1", trace)
				if err != nil || int64(len(spans)) < last {
					errs <- fmt.Errorf("Spans: %d spans, %v; the session counted %d", len(spans), err, last)
					return
				}
				if _, err := s.Sessions(ctx, "p1", store.SessionQuery{Limit: 10, Tag: "prod"}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	r := newRand(3)
	for c := range calls {
		batch := Payload(r, "p1", 3, 10, base)
		for i := range perCall {
			batch = append(batch, span("p1", trace, uint64(c*perCall+i+1), 0, base+int64(c*perCall+i)))
		}
		if err := s.WriteSpans(ctx, batch, now); err != nil {
			t.Errorf("WriteSpans: %v", err)
			break
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := session(t, s, "p1", trace).Counts.Spans; got != calls*perCall {
		t.Errorf("final session has %d spans, want %d", got, calls*perCall)
	}
}
