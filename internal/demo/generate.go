package demo

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Defaults of Config.
const (
	DefaultSessions = 120
	DefaultDays     = 14
)

// Config says what Generate makes. The zero value is usable.
type Config struct {
	// Seed chooses the content: scenarios, prompts, token counts, errors,
	// timings. The same Config always gives the same traces.
	Seed int64
	// Sessions is how many sessions to make (0: DefaultSessions). A few of
	// them are always the notable ones (see Generate), so a smaller number is
	// raised to that few.
	Sessions int
	// Now is the end of the period the sessions are spread over; zero means
	// time.Now(). Ids derive from Seed and Now together, so two runs at
	// different times never share a session id (a second `agentops demo`
	// adds sessions instead of doubling the spans of the first's).
	Now time.Time
	// Days is the length of the period, ending at Now (0: DefaultDays).
	Days int
	// BigSession, when positive, adds one more session of that many spans
	// (a batch evaluation run), to see how a large session looks.
	BigSession int
}

func (c Config) withDefaults() Config {
	if c.Sessions <= 0 {
		c.Sessions = DefaultSessions
	}
	if c.Sessions < numNotable {
		c.Sessions = numNotable
	}
	if c.Days <= 0 {
		c.Days = DefaultDays
	}
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	return c
}

// Generate returns cfg.Sessions sessions (plus the big one, if asked) as
// OTLP traces, one ResourceSpans per session, oldest session first, as the
// server decodes them from an export request.
//
// Sessions are spread over the last cfg.Days days, more on weekdays and
// office hours and more towards the present, and run one of several agents:
// a research assistant, customer-support triage, a code reviewer and a data
// enrichment pipeline, calling OpenAI, Anthropic and Gemini models. Most end
// Success; some fail (a tool or model error recorded as an exception, the
// session ended Failure with the error as its reason) or end Indeterminate.
// Always among them, whatever the seed:
//   - a failed research session: a tool span with an exception event
//     (type, message, stack trace), the agent above it failed too;
//   - a session ended Indeterminate, with a reason;
//   - a session still running: its root span has no end and its latest
//     span ended seconds before Now;
//   - a session whose first LLM call was refused with HTTP 429 and retried
//     with success;
//   - a session that calls a self-hosted model the price table does not
//     know (its one LLM call is unpriced).
//
// Every span ends inside its parent; LLM latencies follow the tokens
// generated. Nothing carries a cost: the server prices the LLM calls.
func Generate(cfg Config) ptrace.Traces {
	td, _ := generate(cfg)
	return td
}

// The notable sessions every run contains, in the order planned.
const (
	notableFailure = iota
	notableIndeterminate
	notableRunning
	notableRetry
	notableUnpriced
	numNotable
)

// plan is one session to build.
type plan struct {
	start    time.Time
	scenario scenario
	notable  int // one of notable*, or -1
	big      int // spans of the big session, 0 for others
}

// generate is Generate, also returning the trace ids of the notable
// sessions (indexed by notable*), for tests.
func generate(cfg Config) (ptrace.Traces, [numNotable]pcommon.TraceID) {
	cfg = cfg.withDefaults()
	seed := uint64(cfg.Seed)
	g := &gen{
		rng: rand.New(rand.NewPCG(seed, 0x6167656e746f7073)), // "agentops"
		ids: rand.New(rand.NewPCG(seed, uint64(cfg.Now.UnixNano()))),
		now: cfg.Now,
		out: ptrace.NewTraces(),
	}
	plans := g.plan(cfg)
	var notable [numNotable]pcommon.TraceID
	for _, p := range plans {
		s := g.build(p)
		if p.notable >= 0 {
			notable[p.notable] = s.trace
		}
	}
	return g.out, notable
}

// gen holds the state of one Generate call.
type gen struct {
	rng *rand.Rand // content and times: the seed (and Now, through office hours)
	ids *rand.Rand // trace and span ids: the seed and Now
	now time.Time
	out ptrace.Traces
}

// plan chooses every session's scenario and start, oldest first.
func (g *gen) plan(cfg Config) []plan {
	period := time.Duration(cfg.Days) * 24 * time.Hour
	var plans []plan
	for i := range cfg.Sessions {
		p := plan{notable: -1}
		if i < numNotable {
			p.notable = i
		}
		switch p.notable {
		case notableFailure:
			p.scenario = research
		case notableIndeterminate, notableUnpriced:
			p.scenario = support
		case notableRetry:
			p.scenario = codeReview
		case notableRunning:
			p.scenario = research
		default:
			p.scenario = g.pickScenario()
		}
		if p.notable == notableRunning {
			// Started moments ago; its first spans have just ended.
			p.start = g.now.Add(-time.Duration(25+g.rng.IntN(20)) * time.Second)
		} else {
			p.start = g.pickStart(period)
		}
		if p.scenario == pipeline {
			p.start = g.nightly(p.start, period)
		}
		plans = append(plans, p)
	}
	if cfg.BigSession > 0 {
		// Long enough ago that even a huge run has ended by Now.
		plans = append(plans, plan{start: g.now.Add(-period / 3).Add(-bigDuration(cfg.BigSession)), scenario: evaluation, notable: -1, big: cfg.BigSession})
	}
	slices.SortStableFunc(plans, func(a, b plan) int { return a.start.Compare(b.start) })
	return plans
}

// pickScenario draws a scenario, support being the most common.
func (g *gen) pickScenario() scenario {
	switch n := g.rng.IntN(100); {
	case n < 38:
		return support
	case n < 63:
		return research
	case n < 85:
		return codeReview
	}
	return pipeline
}

// pickStart draws a start in the period before Now: recent days are busier
// than old ones, weekends quiet, office hours (UTC) busiest. It leaves the
// last 45 minutes free so that every session has ended by Now.
func (g *gen) pickStart(period time.Duration) time.Time {
	latest := g.now.Add(-45 * time.Minute)
	for try := 0; ; try++ {
		// A triangular-ish draw: more mass near the present.
		back := time.Duration(float64(period) * (1 - max(g.rng.Float64(), g.rng.Float64())))
		t := latest.Add(-back)
		if try >= 6 {
			return t
		}
		wd, h := t.UTC().Weekday(), t.UTC().Hour()
		if (wd == time.Saturday || wd == time.Sunday) && g.rng.Float64() < 0.65 {
			continue
		}
		if (h < 7 || h > 20) && g.rng.Float64() < 0.75 {
			continue
		}
		return t
	}
}

// nightly moves t to the small hours (UTC) of its day, where a nightly
// batch job runs, unless that leaves the period.
func (g *gen) nightly(t time.Time, period time.Duration) time.Time {
	n := t.UTC().Truncate(24 * time.Hour).Add(time.Hour + g.between(0, 3*time.Hour))
	if n.Before(g.now.Add(-period)) || n.After(g.now.Add(-45*time.Minute)) {
		return t
	}
	return n
}

func (g *gen) traceID() pcommon.TraceID {
	for {
		var id pcommon.TraceID
		binary.BigEndian.PutUint64(id[:8], g.ids.Uint64())
		binary.BigEndian.PutUint64(id[8:], g.ids.Uint64())
		if !id.IsEmpty() && !rootSpanID(id).IsEmpty() {
			return id
		}
	}
}

func (g *gen) spanID(root pcommon.SpanID) pcommon.SpanID {
	for {
		var id pcommon.SpanID
		binary.BigEndian.PutUint64(id[:], g.ids.Uint64())
		if !id.IsEmpty() && id != root {
			return id
		}
	}
}

// rootSpanID is the id the Go SDK gives a session's root span: the second
// half of the trace id, so another process joining the session knows its
// parent.
func rootSpanID(t pcommon.TraceID) pcommon.SpanID {
	var id pcommon.SpanID
	copy(id[:], t[8:])
	return id
}

// between draws a duration in [lo, hi).
func (g *gen) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)))
}

// tokens draws a count in [lo, hi).
func (g *gen) tokens(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + g.rng.Int64N(hi-lo)
}

func pick[T any](g *gen, xs []T) T { return xs[g.rng.IntN(len(xs))] }

func chance(g *gen, p float64) bool { return g.rng.Float64() < p }

func ts(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
