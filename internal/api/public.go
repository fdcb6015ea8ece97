package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// PublicStore is what the public API reads.
type PublicStore interface {
	store.SessionReader
	store.SpanLocator
	// Project returns store.ErrNotFound for an unknown id.
	Project(ctx context.Context, id string) (store.Project, error)
}

// Messages of the public API's error answers. An unknown trace or span and
// one of another project get the same answer.
const (
	msgTraceNotFound = "Trace not found"
	msgSpanNotFound  = "Span not found"
	msgBadSpanID     = "invalid span id: must be 16 hex digits"
	msgBadTraceID    = "invalid trace id: must be 32 hex digits (or a UUID)"
)

// ProjectEnvironment is the environment every project reports: a
// self-hosted server has one.
const ProjectEnvironment = "production"

type publicHandler struct {
	st PublicStore
	handler
}

// NewPublic returns the handler of AgentOps' read-only public API, with
// AgentOps' field names, for requests whose context carries a project
// (WithProject); others get 401:
//
//	GET /public/v1/project                  PublicProject
//	GET /public/v1/traces/{id}              PublicTrace
//	GET /public/v1/traces/{id}/metrics      PublicTraceMetrics
//	GET /public/v1/spans/{id}               PublicSpan (?trace_id= skips the search by span id)
//	GET /public/v1/spans/{id}/metrics       PublicSpanMetrics
//
// The token exchange, POST /public/v1/auth/access_token, is internal/auth's.
// Errors are {"error": MESSAGE, "detail": MESSAGE} (detail is what the
// hosted API's clients read).
func NewPublic(st PublicStore, opts Options) http.Handler {
	h := &publicHandler{st: st, handler: *newSessionHandler(st, opts)}
	mux := http.NewServeMux()
	mux.HandleFunc("/public/v1/project", h.get(h.project))
	mux.HandleFunc("/public/v1/traces/{id}", h.get(h.trace))
	mux.HandleFunc("/public/v1/traces/{id}/metrics", h.get(h.traceMetrics))
	mux.HandleFunc("/public/v1/spans/{id}", h.get(h.span))
	mux.HandleFunc("/public/v1/spans/{id}/metrics", h.get(h.spanMetrics))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writePublicError(w, http.StatusNotFound, msgNoRoute)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := ProjectFrom(r.Context()); !ok {
			writePublicError(w, http.StatusUnauthorized, msgUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (h *publicHandler) project(w http.ResponseWriter, r *http.Request, projectID string) {
	p, err := h.st.Project(r.Context(), projectID)
	if err != nil {
		h.publicError(w, r, err, "Project not found")
		return
	}
	writeJSON(w, http.StatusOK, PublicProject{ID: p.ID, Name: p.Name, Environment: ProjectEnvironment})
}

func (h *publicHandler) trace(w http.ResponseWriter, r *http.Request, projectID string) {
	s, spans, ok := h.readTrace(w, r, projectID)
	if !ok {
		return
	}
	out := PublicTrace{TraceID: s.ID.String(), ProjectID: projectID, Tags: tagsOf(s.Tags), Spans: make([]PublicSpanSummary, 0, len(spans))}
	for i := range spans {
		out.Spans = append(out.Spans, spanSummaryOf(&spans[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *publicHandler) traceMetrics(w http.ResponseWriter, r *http.Request, projectID string) {
	s, spans, ok := h.readTrace(w, r, projectID)
	if !ok {
		return
	}
	m := PublicTraceMetrics{
		SpanCount:  int64(len(spans)),
		TraceCount: 1,
		PublicTokens: PublicTokens{
			PromptTokens:         s.Usage.Input,
			CompletionTokens:     s.Usage.Output,
			CacheReadInputTokens: s.Usage.CacheRead,
			ReasoningTokens:      s.Usage.Reasoning,
			TotalTokens:          s.Usage.Total,
		},
		UnpricedCalls: s.Unpriced,
	}
	var prompt, completion float64
	for i := range spans {
		sp := &spans[i]
		switch sp.Status {
		case model.StatusOK:
			m.SuccessCount++
		case model.StatusError:
			m.FailCount++
		default:
			m.IndeterminateCount++
		}
		if sp.Kind == semconv.KindLLM {
			p, c := costSplit(sp)
			prompt += p
			completion += c
		}
	}
	m.PromptCost, m.CompletionCost = formatCost(prompt), formatCost(completion)
	m.TotalCost, m.AverageCostPerTrace = formatCost(s.Cost), formatCost(s.Cost)
	writeJSON(w, http.StatusOK, m)
}

func (h *publicHandler) span(w http.ResponseWriter, r *http.Request, projectID string) {
	sp, ok := h.readSpan(w, r, projectID)
	if !ok {
		return
	}
	attrs := parseFlat(sp.Attributes)
	resource := parseFlat(sp.Resource)
	service, _ := resource["service.name"].(string)
	out := PublicSpan{
		TraceID:            sp.TraceID.String(),
		PublicSpanSummary:  spanSummaryOf(sp),
		ServiceName:        service,
		Attributes:         nest(attrs),
		ResourceAttributes: nest(resource),
		SpanAttributes:     attrs,
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *publicHandler) spanMetrics(w http.ResponseWriter, r *http.Request, projectID string) {
	sp, ok := h.readSpan(w, r, projectID)
	if !ok {
		return
	}
	m := PublicSpanMetrics{
		PublicTokens: PublicTokens{
			PromptTokens:         sp.Usage.Input,
			CompletionTokens:     sp.Usage.Output,
			CacheReadInputTokens: sp.Usage.CacheRead,
			ReasoningTokens:      sp.Usage.Reasoning,
			TotalTokens:          sp.Usage.Total,
		},
		CostSource: sp.CostSource.String(),
	}
	switch sp.Status {
	case model.StatusOK:
		m.SuccessTokens = sp.Usage.Total
	case model.StatusError:
		m.FailTokens = sp.Usage.Total
	default:
		m.IndeterminateTokens = sp.Usage.Total
	}
	p, c := costSplit(sp)
	m.PromptCost, m.CompletionCost, m.TotalCost = formatCost(p), formatCost(c), formatCost(p+c)
	writeJSON(w, http.StatusOK, m)
}

// readTrace reads a trace's session and its spans (the latest version of
// each), answering the error itself when it fails.
func (h *publicHandler) readTrace(w http.ResponseWriter, r *http.Request, projectID string) (model.Session, []model.Span, bool) {
	id, err := model.ParseTraceID(r.PathValue("id"))
	if err != nil {
		writePublicError(w, http.StatusBadRequest, msgBadTraceID)
		return model.Session{}, nil, false
	}
	s, err := h.st.Session(r.Context(), projectID, id)
	if err != nil {
		h.publicError(w, r, err, msgTraceNotFound)
		return s, nil, false
	}
	spans, err := h.st.Spans(r.Context(), projectID, id)
	if err != nil {
		h.publicError(w, r, err, msgTraceNotFound)
		return s, nil, false
	}
	return s, latestVersions(spans), true
}

// readSpan finds a span of the project by its id: through the trace named
// by ?trace_id= when given, else through the store's SpanLocator.
func (h *publicHandler) readSpan(w http.ResponseWriter, r *http.Request, projectID string) (*model.Span, bool) {
	id, err := model.ParseSpanID(r.PathValue("id"))
	if err != nil {
		writePublicError(w, http.StatusBadRequest, msgBadSpanID)
		return nil, false
	}
	var trace model.TraceID
	if t := r.URL.Query().Get("trace_id"); t != "" {
		if trace, err = model.ParseTraceID(t); err != nil {
			writePublicError(w, http.StatusBadRequest, msgBadTraceID)
			return nil, false
		}
	} else if trace, err = h.st.SpanTrace(r.Context(), projectID, id); err != nil {
		h.publicError(w, r, err, msgSpanNotFound)
		return nil, false
	}
	spans, err := h.st.Spans(r.Context(), projectID, trace)
	if err != nil {
		h.publicError(w, r, err, msgSpanNotFound)
		return nil, false
	}
	// The last version received of the span: it has ended, if it ever did.
	for i := len(spans) - 1; i >= 0; i-- {
		if spans[i].SpanID == id {
			return &spans[i], true
		}
	}
	writePublicError(w, http.StatusNotFound, msgSpanNotFound)
	return nil, false
}

// latestVersions keeps the last version of each span (a span may be sent
// in flight, then ended), in the order of Spans.
func latestVersions(spans []model.Span) []model.Span {
	last := make(map[model.SpanID]int, len(spans))
	for i := range spans {
		last[spans[i].SpanID] = i
	}
	if len(last) == len(spans) {
		return spans
	}
	out := make([]model.Span, 0, len(last))
	for i := range spans {
		if last[spans[i].SpanID] == i {
			out = append(out, spans[i])
		}
	}
	return out
}

func (h *publicHandler) publicError(w http.ResponseWriter, r *http.Request, err error, notFound string) {
	if errors.Is(err, store.ErrNotFound) {
		writePublicError(w, http.StatusNotFound, notFound)
		return
	}
	if r.Context().Err() == nil {
		h.log.ErrorContext(r.Context(), "public API: store error", "path", r.URL.Path, "err", err)
	}
	writePublicError(w, http.StatusInternalServerError, msgInternal)
}

type publicErrorBody struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

func writePublicError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, publicErrorBody{Error: msg, Detail: msg})
}

func spanSummaryOf(sp *model.Span) PublicSpanSummary {
	s := PublicSpanSummary{
		SpanID:        sp.SpanID.String(),
		ParentSpanID:  parentOf(sp),
		SpanName:      sp.Name,
		SpanKind:      "SPAN_KIND_" + otelSpanKind(sp.SpanKind),
		StartTime:     Timestamp(sp.Start),
		EndTime:       Timestamp(sp.End),
		StatusCode:    "STATUS_CODE_" + sp.Status.String(),
		StatusMessage: sp.StatusMessage,
	}
	if sp.End > sp.Start {
		s.Duration = (sp.End - sp.Start) / int64(time.Millisecond)
	}
	return s
}

// costSplit divides an LLM span's cost (as stored: priced at ingest, or
// carried by the span) into its prompt and completion shares. The shares
// follow the current embedded price of the span's model; for a model it
// does not list, they follow the token counts. An unknown cost is 0, 0.
func costSplit(sp *model.Span) (prompt, completion float64) {
	if sp.CostSource != model.CostTable && sp.CostSource != model.CostSpan {
		return 0, 0
	}
	u := sp.Usage
	in := pricing.Usage{Input: u.Input, CacheRead: u.CacheRead, CacheWrite: u.CacheWrite}
	out := pricing.Usage{Output: u.Output, Reasoning: u.Reasoning}
	var inCost, outCost float64
	name := sp.ResponseModel
	if name == "" {
		name = sp.RequestModel
	}
	if m, ok := pricing.Default().Find(sp.Provider, name); ok {
		full := pricing.Usage{Input: u.Input, Output: u.Output, CacheRead: u.CacheRead, CacheWrite: u.CacheWrite, Reasoning: u.Reasoning}
		if m.Cost(full) > 0 {
			inCost, outCost = m.Cost(in), m.Cost(out)
		}
	}
	if inCost+outCost <= 0 {
		inCost, outCost = float64(max(u.Input, 0)), float64(max(u.Output, 0))
	}
	if inCost+outCost <= 0 {
		return sp.Cost, 0
	}
	prompt = sp.Cost * inCost / (inCost + outCost)
	return prompt, sp.Cost - prompt
}

// formatCost writes USD as AgentOps does: a string with 7 decimals.
func formatCost(usd float64) string { return strconv.FormatFloat(usd, 'f', 7, 64) }

// parseFlat reads a stored attribute object; {} when empty or unreadable.
func parseFlat(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m) // ingest only stores objects; anything else reads as {}
	}
	return m
}

// nest turns dotted attribute keys into nested objects, as AgentOps' API
// shows them: {"gen_ai.prompt.0.role": "user"} becomes
// {"gen_ai": {"prompt": [{"role": "user"}]}}. An object whose keys are all
// 0..n-1 becomes an array. A key that would put a value where another
// value already is stays flat, whole, at the level where they collide.
func nest(flat map[string]any) any {
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	slices.Sort(keys) // "a" before "a.b": deterministic collisions
	root := map[string]any{}
	for _, k := range keys {
		put(root, k, flat[k])
	}
	return arrays(root)
}

func put(m map[string]any, key string, v any) {
	head, rest, dotted := strings.Cut(key, ".")
	if !dotted || head == "" || rest == "" {
		if _, taken := m[key]; !taken {
			m[key] = v
		}
		return
	}
	switch child := m[head].(type) {
	case map[string]any:
		put(child, rest, v)
	case nil:
		if _, taken := m[head]; taken { // an explicit null
			m[key] = v
			return
		}
		c := map[string]any{}
		m[head] = c
		put(c, rest, v)
	default:
		m[key] = v // head holds a value: keep this key whole
	}
}

func arrays(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, c := range m {
		m[k] = arrays(c)
	}
	if len(m) == 0 {
		return m
	}
	list := make([]any, len(m))
	for k, c := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(m) || strconv.Itoa(i) != k {
			return m
		}
		list[i] = c
	}
	return list
}
