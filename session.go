package agentops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/llm"
	"github.com/agentops-go/agentops/semconv"
)

// EndState is how a session ended.
type EndState string

// End states, as the dashboard shows them.
const (
	Success       EndState = semconv.EndStateSuccess
	Failure       EndState = semconv.EndStateFailure
	Indeterminate EndState = semconv.EndStateIndeterminate
)

// A Session is one execution of an agent workflow: one OpenTelemetry trace
// whose root span (kind "session") carries its name, tags, end state and
// host environment. Every span made from its Context belongs to it.
//
// Trace is the same type under the name of the newer trace API: the
// legacy session functions (StartSession, Session.End) and the trace
// functions (StartTrace, EndTrace) are two views of one thing.
//
// A Session is safe for concurrent use. The methods of a nil *Session do
// nothing (End returns an error), so a failed start never crashes a
// program that ignores the error.
type Session struct {
	c         *Client
	id        trace.TraceID
	ctx       context.Context
	root      trace.Span // nil for an inherited session: its root is the owner's
	inherited bool
	name      string
	start     time.Time

	llmCalls, toolCalls, actions, errs atomic.Int64

	mu         sync.Mutex
	tags       []string
	ended      bool
	end        time.Time
	promptTok  int64
	complTok   int64
	cost       float64
	unpriced   int
	stateEnded EndState
}

// Trace is a Session, named as in the trace API (StartTrace, EndTrace).
type Trace = Session

type sessionKey struct{}

// sessionFrom returns the session whose context ctx derives from, or nil.
func sessionFrom(ctx context.Context) *Session {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// SessionFromContext returns the session (trace) ctx was derived from, or
// nil if none.
func SessionFromContext(ctx context.Context) *Session { return sessionFrom(ctx) }

// StartSession starts a session (see Client.StartSession) on the default
// client.
func StartSession(ctx context.Context, opts ...Option) (*Session, error) {
	return Default().StartSession(ctx, opts...)
}

// StartTrace starts a trace (see Client.StartTrace) on the default client.
func StartTrace(ctx context.Context, name string, opts ...Option) *Trace {
	return Default().StartTrace(ctx, name, opts...)
}

// EndTrace ends t with state and an optional reason, without waiting for
// delivery (see Session.End for that). Ending a trace twice, or a nil
// trace, does nothing.
func EndTrace(t *Trace, state EndState, reason ...string) { t.finish(state, joinReason(reason)) }

// EndAllTraces ends every open trace of the default client.
func EndAllTraces(state EndState, reason ...string) { Default().EndAllTraces(state, reason...) }

// EndSession ends the default client's only active session and returns
// its cost (see Session.End). With several sessions active it does
// nothing and returns an error: end each with Session.End.
func EndSession(state EndState, reason string) (float64, error) {
	return Default().EndSession(state, reason)
}

// StartSession starts a session: a new trace whose root span is named by
// the trace name (WithTraceName, default "session") and tagged with the
// default tags plus WithTags. opts may also be WithConfig, WithDefaultTags,
// WithEnvDataOptOut; client-wide options are ignored here. The error is
// for an invalid option only.
//
// With an inherited session id (WithInheritedSessionID, or the client's
// AGENTOPS_INHERITED_SESSION_ID) no new trace starts: the returned session
// joins the one another process owns, and spans made from its Context
// become children of the owner's root span. Only the owner ends the
// session: End on an inherited session flushes and reads the cost, and
// sets no end state.
func (c *Client) StartSession(ctx context.Context, opts ...Option) (*Session, error) {
	s := settings{Config: c.cfg}
	s.DefaultTags = cloneTags(c.cfg.DefaultTags)
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, fmt.Errorf("agentops: start session: %w", err)
		}
	}
	return c.start(ctx, s), nil
}

// StartTrace starts a trace named name (empty: the trace name of the
// configuration) and returns it; its Context carries it to every span made
// under it. Traces are independent: any number may run at once, in any
// goroutines. An invalid option is logged and ignored.
func (c *Client) StartTrace(ctx context.Context, name string, opts ...Option) *Trace {
	s := settings{Config: c.cfg}
	s.DefaultTags = cloneTags(c.cfg.DefaultTags)
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			c.log.Warn("agentops: start trace: ignoring an invalid option", "err", err)
		}
	}
	if name != "" {
		s.TraceName = name
	}
	return c.start(ctx, s)
}

func (c *Client) start(ctx context.Context, s settings) *Session {
	if ctx == nil {
		ctx = context.Background()
	}
	sess := &Session{c: c, name: s.TraceName, start: time.Now()}
	sess.tags = appendTags(cloneTags(s.DefaultTags), s.tags)
	if s.InheritedSessionID != "" {
		id, _ := ParseSessionID(s.InheritedSessionID) // validated by the option
		sc := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID:    id,
			SpanID:     rootSpanID(id),
			TraceFlags: trace.FlagsSampled,
			Remote:     true,
		})
		sess.id, sess.inherited = id, true
		sess.ctx = context.WithValue(trace.ContextWithRemoteSpanContext(ctx, sc), sessionKey{}, sess)
	} else {
		attrs := []attribute.KeyValue{
			attribute.String(semconv.SpanKind, semconv.KindSession),
			attribute.String(semconv.OperationName, s.TraceName),
		}
		if !s.EnvDataOptOut {
			attrs = append(attrs, hostEnv()...)
		}
		spanCtx, root := c.tracer.Start(ctx, s.TraceName,
			trace.WithNewRoot(),
			trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(attrs...),
			trace.WithTimestamp(sess.start))
		sess.root = root
		sess.id = root.SpanContext().TraceID()
		sess.ctx = context.WithValue(spanCtx, sessionKey{}, sess)
	}
	c.mu.Lock()
	if !c.shutdown {
		c.active[sess] = struct{}{}
	}
	c.mu.Unlock()
	if c.cfg.AppURL != "" {
		c.log.Debug("agentops: session started", "session", sess.ID(), "url", c.cfg.AppURL+"/sessions?trace_id="+sess.ID(), "inherited", sess.inherited)
	}
	return sess
}

// EndTrace ends t (see the package-level EndTrace).
func (c *Client) EndTrace(t *Trace, state EndState, reason ...string) {
	t.finish(state, joinReason(reason))
}

// EndAllTraces ends every open trace (session) of the client with state
// and an optional reason, without waiting for delivery.
func (c *Client) EndAllTraces(state EndState, reason ...string) {
	for _, s := range c.Active() {
		s.finish(state, joinReason(reason))
	}
}

// Active returns the client's sessions that have not ended, oldest first.
func (c *Client) Active() []*Session {
	c.mu.Lock()
	out := make([]*Session, 0, len(c.active))
	for s := range c.active {
		out = append(out, s)
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b *Session) int { return a.start.Compare(b.start) })
	return out
}

// EndSession ends the client's only active session (see Session.End). With
// none or several active it returns an error and ends nothing.
func (c *Client) EndSession(state EndState, reason string) (float64, error) {
	active := c.Active()
	switch len(active) {
	case 0:
		return 0, errors.New("agentops: EndSession: no active session")
	case 1:
		return active[0].End(state, reason)
	}
	return 0, fmt.Errorf("agentops: EndSession: %d sessions are active; end each with Session.End", len(active))
}

// ID returns the session id: the trace id, 32 lowercase hex digits. Pass it
// to another process (WithInheritedSessionID) to have it join the session.
func (s *Session) ID() string {
	if s == nil {
		return ""
	}
	return s.id.String()
}

// TraceID returns the session's OpenTelemetry trace id.
func (s *Session) TraceID() trace.TraceID {
	if s == nil {
		return trace.TraceID{}
	}
	return s.id
}

// Name returns the name of the session's root span.
func (s *Session) Name() string {
	if s == nil {
		return ""
	}
	return s.name
}

// Inherited reports whether the session is owned by another process.
func (s *Session) Inherited() bool { return s != nil && s.inherited }

// Context returns the context that carries the session: spans made from it
// (by this package's helpers or any OpenTelemetry tracer) belong to it.
func (s *Session) Context() context.Context {
	if s == nil {
		return context.Background()
	}
	return s.ctx
}

// Tags returns the session's tags.
func (s *Session) Tags() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tags)
}

// AddTags appends tags to the session's (repeats are dropped). Tags may
// change until the session ends; the root span gets the final list.
func (s *Session) AddTags(tags ...string) {
	s.changeTags("AddTags", func(cur []string) []string { return appendTags(cur, tags) })
}

// SetTags replaces the session's tags.
func (s *Session) SetTags(tags ...string) {
	s.changeTags("SetTags", func([]string) []string { return appendTags(nil, tags) })
}

// changeTags applies change to the tags of a session still open.
func (s *Session) changeTags(op string, change func([]string) []string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		s.c.log.Warn("agentops: "+op+" after the session ended is ignored", "session", s.ID())
		return
	}
	s.tags = change(s.tags)
}

func appendTags(dst, tags []string) []string {
	for _, t := range cloneTags(tags) {
		if !slices.Contains(dst, t) {
			dst = append(dst, t)
		}
	}
	return dst
}

// Analytics is a session's local tally: what this process recorded in it.
type Analytics struct {
	LLMCalls         int64
	ToolCalls        int64
	Actions          int64
	Errors           int64
	PromptTokens     int64
	CompletionTokens int64
	CostUSD          float64 // known costs: reported, or priced from the price table
	UnpricedCalls    int     // LLM calls whose model has no known price (CostUSD is then a lower bound)
	Duration         time.Duration
}

// Analytics returns the session's local tally, LLM calls recorded by
// package llm included once their response has ended (it waits, at most a
// second, for llm.Flush). Duration runs until the session ends.
func (s *Session) Analytics() Analytics {
	if s == nil {
		return Analytics{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = llm.Flush(ctx) // the LLM calls answered so far are tallied (bounded: never hangs a caller)
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.end
	if !s.ended {
		end = time.Now()
	}
	return Analytics{
		LLMCalls:         s.llmCalls.Load(),
		ToolCalls:        s.toolCalls.Load(),
		Actions:          s.actions.Load(),
		Errors:           s.errs.Load(),
		PromptTokens:     s.promptTok,
		CompletionTokens: s.complTok,
		CostUSD:          s.cost,
		UnpricedCalls:    s.unpriced,
		Duration:         end.Sub(s.start),
	}
}

// count tallies a span of kind that ended, with or without an error.
func (s *Session) count(kind string, failed bool) {
	switch kind {
	case semconv.KindLLM:
		s.llmCalls.Add(1)
	case semconv.KindTool:
		s.toolCalls.Add(1)
	case semconv.KindAction:
		s.actions.Add(1)
	case semconv.KindError:
		failed = true
	}
	if failed {
		s.errs.Add(1)
	}
}

// Ended reports whether the session has ended, and how.
func (s *Session) Ended() (EndState, bool) {
	if s == nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stateEnded, s.ended
}

// finish ends the root span: final tags, end state and reason as
// attributes, and the matching status (Success → Ok, Failure → Error,
// Indeterminate → Unset). It reports false if the session had ended.
func (s *Session) finish(state EndState, reason string) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	s.ended, s.end, s.stateEnded = true, time.Now(), state
	tags := slices.Clone(s.tags)
	s.mu.Unlock()

	s.c.mu.Lock()
	delete(s.c.active, s)
	s.c.mu.Unlock()
	if s.inherited {
		return true
	}
	switch state {
	case Success, Failure, Indeterminate:
	default:
		s.c.log.Warn("agentops: unknown end state; recording Indeterminate", "state", string(state))
		state = Indeterminate
	}
	if tags == nil {
		tags = []string{}
	}
	tagJSON, _ := json.Marshal(tags)
	attrs := []attribute.KeyValue{
		attribute.String(semconv.Tags, string(tagJSON)),
		attribute.String(semconv.EndState, string(state)),
	}
	if reason != "" {
		attrs = append(attrs, attribute.String(semconv.EndStateReason, reason))
	}
	_ = safely(func() {
		s.root.SetAttributes(attrs...)
		switch state {
		case Success:
			s.root.SetStatus(codes.Ok, "")
		case Failure:
			s.root.SetStatus(codes.Error, reason)
		}
		s.root.End(trace.WithTimestamp(s.end))
	})
	return true
}

func joinReason(r []string) string {
	switch len(r) {
	case 0:
		return ""
	case 1:
		return r[0]
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// End ends the session with state and reason, waits (at most 5 seconds)
// for its spans to reach the server, and returns the session's total cost
// in USD as the server counts it (GET /v2/sessions/{id}/stats). If the
// server cannot be reached, it returns the local tally (Analytics().CostUSD)
// and an error saying so.
//
// Ending twice keeps the first end state. On an inherited session End
// sets no end state (the owner does): it flushes and reads the cost.
func (s *Session) End(state EndState, reason string) (costUSD float64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	return s.EndContext(ctx, state, reason)
}

// EndContext is End with the wait bounded by ctx instead.
func (s *Session) EndContext(ctx context.Context, state EndState, reason string) (costUSD float64, err error) {
	if s == nil {
		return 0, errors.New("agentops: End on a nil session")
	}
	_ = llm.Flush(ctx) // LLM calls answered before End count in the session
	if !s.finish(state, reason) {
		s.c.log.Warn("agentops: session already ended; its end state is unchanged", "session", s.ID())
	}
	local := s.Analytics().CostUSD
	if err := s.c.Flush(ctx); err != nil {
		return local, fmt.Errorf("agentops: session %s: spans not delivered (%w); the cost is the local tally", s.ID(), err)
	}
	cost, err := s.c.serverCost(ctx, s.id)
	if err != nil {
		return local, fmt.Errorf("agentops: session %s: cannot read the cost from the server (%w); the cost is the local tally", s.ID(), err)
	}
	return cost, nil
}

// serverCost reads a session's total cost from the server's stats.
func (c *Client) serverCost(ctx context.Context, id trace.TraceID) (float64, error) {
	if c.cfg.APIKey == "" {
		return 0, errors.New("no API key")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.APIEndpoint+"/v2/sessions/"+id.String()+"/stats", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Agentops-Api-Key", c.cfg.APIKey)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<16)).Decode(&e)
		return 0, fmt.Errorf("GET stats: %s %s", resp.Status, e.Error)
	}
	var st struct {
		Cost struct {
			TotalUSD float64 `json:"total_usd"`
		} `json:"cost"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&st); err != nil {
		return 0, fmt.Errorf("GET stats: %w", err)
	}
	return st.Cost.TotalUSD, nil
}
