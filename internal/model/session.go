package model

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/agentops-go/agentops/semconv"
)

// Session is the aggregate of one trace of one project. It is maintained at
// ingest, in the same transaction as the spans, by merging one Delta per
// stored chunk of spans (see Summarize and Merge). Times are Unix nanoseconds.
type Session struct {
	ProjectID string  `json:"project_id"`
	ID        TraceID `json:"id"`
	Name      string  `json:"name"`
	NameRank  int     `json:"-"` // how authoritative Name is: see Delta.NameRank
	Start     int64   `json:"start_time_unix_nano"`
	End       int64   `json:"end_time_unix_nano"`  // latest span end seen
	LastSeen  int64   `json:"last_seen_unix_nano"` // server clock at the latest ingest of this trace

	RootEnded        bool   `json:"root_ended"`
	EndState         string `json:"-"` // as stored; read State() for what to show
	EndStateExplicit bool   `json:"-"` // EndState came from agentops.session.end_state, not derived from a status
	EndStateReason   string `json:"end_state_reason,omitempty"`

	Tags []string        `json:"tags"`
	Host json.RawMessage `json:"host_env,omitempty"` // JSON object of the root's host.*/os.* (and resource) attributes
	// Models are the models of the session's LLM calls (the response model,
	// else the request model), sorted, each once, at most MaxModels.
	Models []string `json:"models,omitempty"`

	Counts   Counts  `json:"counts"`
	Usage    Usage   `json:"usage"`
	Cost     float64 `json:"cost_usd"`       // sum of known costs
	Unpriced int64   `json:"unpriced_calls"` // LLM calls whose cost is unknown
}

// Counts are a session's span counts by meaning.
type Counts struct {
	Spans     int64 `json:"spans"`
	LLMCalls  int64 `json:"llm_calls"`
	ToolCalls int64 `json:"tool_calls"`
	Actions   int64 `json:"actions"`
	Agents    int64 `json:"agents"`
	Errors    int64 `json:"errors"`
}

func (c *Counts) Add(o Counts) {
	c.Spans += o.Spans
	c.LLMCalls += o.LLMCalls
	c.ToolCalls += o.ToolCalls
	c.Actions += o.Actions
	c.Agents += o.Agents
	c.Errors += o.Errors
}

// Duration is End-Start, or 0 before any span has ended.
func (s *Session) Duration() time.Duration {
	if s.End <= s.Start {
		return 0
	}
	return time.Duration(s.End - s.Start)
}

// State is the end state to show at time now: the stored end state if there
// is one; "" while the session is live; Indeterminate once a session without
// an end state has been silent for longer than timeout.
func (s *Session) State(now time.Time, timeout time.Duration) string {
	if s.EndState != "" {
		return s.EndState
	}
	if s.RootEnded || now.UnixNano()-s.LastSeen > int64(timeout) {
		return semconv.EndStateIndeterminate
	}
	return ""
}

// Delta is what one chunk of spans (all of one project and one trace)
// contributes to its session. Stores apply it with Merge semantics.
type Delta struct {
	ProjectID string
	TraceID   TraceID

	Name     string
	NameRank int   // 3: a root span of kind session; 2: another root span; 1: the earliest span; 0: none
	Start    int64 // earliest span start in the chunk
	End      int64 // latest span end in the chunk (0 if none ended)
	LastSeen int64

	RootEnded        bool
	EndState         string // "" when the chunk says nothing about the end state
	EndStateExplicit bool
	EndStateReason   string

	Tags    []string // nil: no change; non-nil (even empty): replaces the session's tags
	HasTags bool
	Host    json.RawMessage // nil: no change
	Models  []string        // models of the chunk's LLM calls, sorted, each once; added to the session's

	Counts   Counts
	Usage    Usage
	Cost     float64
	Unpriced int64
}

// Merge applies d to s. It is the reference semantics every store backend
// implements (storetest checks them): counts, usage and cost add; start is the
// minimum and end the maximum; the name comes from the most authoritative
// span (ties: the earlier start); an explicit end state replaces a derived one
// and a later explicit one replaces an earlier one; tags and host are replaced
// when the delta carries them.
func (s *Session) Merge(d *Delta) {
	if s.Counts.Spans == 0 && s.Start == 0 {
		s.ProjectID, s.ID, s.Start = d.ProjectID, d.TraceID, d.Start
	}
	// The name is decided against the start merged so far: on a tie of
	// rank, the chunk holding the earlier span names the session.
	if d.Name != "" && (d.NameRank > s.NameRank || (d.NameRank == s.NameRank && d.NameRank > 0 && d.Start != 0 && d.Start < s.Start) || s.Name == "") {
		s.Name, s.NameRank = d.Name, d.NameRank
	}
	if d.Start != 0 && (s.Start == 0 || d.Start < s.Start) {
		s.Start = d.Start
	}
	if d.End > s.End {
		s.End = d.End
	}
	if d.LastSeen > s.LastSeen {
		s.LastSeen = d.LastSeen
	}
	s.RootEnded = s.RootEnded || d.RootEnded
	if d.EndState != "" && (d.EndStateExplicit || !s.EndStateExplicit) {
		s.EndState, s.EndStateExplicit, s.EndStateReason = d.EndState, d.EndStateExplicit, d.EndStateReason
	}
	if d.HasTags {
		s.Tags = slices.Clone(d.Tags)
	}
	if d.Host != nil {
		s.Host = d.Host
	}
	s.Models = MergeModels(s.Models, d.Models)
	s.Counts.Add(d.Counts)
	s.Usage.Add(d.Usage)
	s.Cost += d.Cost
	s.Unpriced += d.Unpriced
}

// Summarize computes the Delta of one chunk of spans that all share a project
// and trace id. now is the server's clock at ingest.
func Summarize(chunk []Span, now int64) Delta {
	d := Delta{LastSeen: now}
	if len(chunk) == 0 {
		return d
	}
	d.ProjectID, d.TraceID = chunk[0].ProjectID, chunk[0].TraceID
	var root *Span
	bestStart := int64(0)
	for i := range chunk {
		sp := &chunk[i]
		if d.Start == 0 || (sp.Start != 0 && sp.Start < d.Start) {
			d.Start = sp.Start
		}
		if sp.End > d.End {
			d.End = sp.End
		}
		rank := 1
		if sp.IsRoot() {
			rank = 2
			if sp.Kind == semconv.KindSession {
				rank = 3
			}
		}
		if rank > d.NameRank || (rank == d.NameRank && sp.Start < bestStart) {
			d.NameRank, d.Name, bestStart = rank, sp.Name, sp.Start
			if rank >= 2 {
				root = sp
			}
		}
		d.Counts.Spans++
		switch sp.Kind {
		case semconv.KindLLM:
			d.Counts.LLMCalls++
		case semconv.KindTool:
			d.Counts.ToolCalls++
		case semconv.KindAction:
			d.Counts.Actions++
		case semconv.KindAgent:
			d.Counts.Agents++
		}
		if sp.IsError() {
			d.Counts.Errors++
		}
		// Tokens count on LLM calls only: some instrumentations repeat their
		// children's totals on a parent span, which would count them twice.
		if sp.Kind == semconv.KindLLM {
			d.Usage.Add(sp.Usage)
			if m := sp.Model(); m != "" && !slices.Contains(d.Models, m) {
				d.Models = append(d.Models, m)
			}
		}
		switch sp.CostSource {
		case CostSpan, CostTable:
			d.Cost += sp.Cost
		case CostUnpriced:
			d.Unpriced++
		}
		// An explicit end state may sit on any span (some clients set it on
		// the session span only, some on the last span they end).
		if sp.EndState != "" {
			d.EndState, d.EndStateExplicit, d.EndStateReason = sp.EndState, true, sp.EndStateReason
		}
	}
	slices.Sort(d.Models)
	if len(d.Models) > MaxModels {
		d.Models = d.Models[:MaxModels]
	}
	if root != nil {
		if root.End != 0 {
			d.RootEnded = true
			if !d.EndStateExplicit {
				d.EndState = derivedEndState(root.Status)
				d.EndStateReason = root.StatusMessage
			}
		}
		if root.Tags != nil {
			d.Tags, d.HasTags = root.Tags, true
		}
		d.Host = HostEnv(root)
	}
	return d
}

// MaxModels bounds Session.Models: a session calling more models lists the
// first ones in sort order.
const MaxModels = 16

// MergeModels returns the sorted union of two sorted model lists, at most
// MaxModels long. It returns a unless b adds something (then a new slice).
func MergeModels(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := a
	for _, m := range b {
		i, found := slices.BinarySearch(out, m)
		if found || i >= MaxModels {
			continue
		}
		if len(out) >= MaxModels {
			out = out[:MaxModels-1]
		}
		out = slices.Insert(slices.Clone(out), i, m)
	}
	return out
}

// derivedEndState maps a root span's status to an end state when the client
// sent no explicit one: an error is a failure, an explicit OK a success, and
// anything else unknown.
func derivedEndState(c StatusCode) string {
	switch c {
	case StatusError:
		return semconv.EndStateFailure
	case StatusOK:
		return semconv.EndStateSuccess
	}
	return semconv.EndStateIndeterminate
}

// HostEnv collects the host environment of a root span: its host.*, os.*
// and process.runtime.* attributes, span attributes winning over resource
// attributes of the same key. It returns nil when there are none.
func HostEnv(root *Span) json.RawMessage {
	env := map[string]json.RawMessage{}
	for _, raw := range []json.RawMessage{root.Resource, root.Attributes} {
		// Most attribute sets carry no host key: skip the decoding then.
		if len(raw) == 0 || !(bytes.Contains(raw, []byte(`"host.`)) || bytes.Contains(raw, []byte(`"os.`)) || bytes.Contains(raw, []byte(`"process.runtime.`))) {
			continue
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		for k, v := range m {
			if strings.HasPrefix(k, semconv.HostPrefix) || strings.HasPrefix(k, semconv.OSPrefix) || strings.HasPrefix(k, "process.runtime.") {
				env[k] = v
			}
		}
	}
	if len(env) == 0 {
		return nil
	}
	b, _ := json.Marshal(env) // map keys are sorted: the result is deterministic
	return b
}
