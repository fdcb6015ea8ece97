package loadgen

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/semconv"
)

// Attribute names the payload uses that the server has no constant for.
const (
	attrServiceName      = "service.name"
	attrServiceVersion   = "service.version"
	attrDeployEnv        = "deployment.environment.name"
	attrSDKName          = "telemetry.sdk.name"
	attrSDKLanguage      = "telemetry.sdk.language"
	attrSDKVersion       = "telemetry.sdk.version"
	attrHostName         = semconv.HostPrefix + "name"
	attrHostArch         = semconv.HostPrefix + "arch"
	attrOSType           = semconv.OSPrefix + "type"
	attrOSVersion        = semconv.OSPrefix + "version"
	attrAgentName        = "gen_ai.agent.name"
	attrAgentID          = "gen_ai.agent.id"
	attrToolName         = "gen_ai.tool.name"
	attrToolCallID       = "gen_ai.tool.call.id"
	attrToolType         = "gen_ai.tool.type"
	attrToolDescription  = "gen_ai.tool.description"
	attrPromptRole       = semconv.GenAIPromptPrefix + "0.role"
	attrPromptContent    = semconv.GenAIPromptPrefix + "0.content"
	attrCompletionText   = semconv.GenAICompletionPrefix + "0.content"
	attrCompletionFinish = semconv.GenAICompletionPrefix + "0.finish_reason"
)

// model is one LLM the payload cycles over.
type model struct {
	provider, request, response, spanName string
}

var models = []model{
	{"openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai.chat"},
	{"anthropic", "claude-sonnet-4", "claude-sonnet-4-20250514", "anthropic.messages.create"},
	{"gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash", "gemini.generate_content"},
	{"openai", "gpt-4.1", "gpt-4.1-2025-04-14", "openai.chat"},
	{"anthropic", "claude-3-5-haiku", "claude-3-5-haiku-20241022", "anthropic.messages.create"},
	{"gcp.gemini", "gemini-2.5-pro", "gemini-2.5-pro", "gemini.generate_content"},
}

var workflows = []string{"customer_support", "research_report", "code_review", "invoice_triage", "travel_planner", "sales_outreach"}

var agents = []string{"planner", "researcher", "writer", "critic", "router", "executor"}

var tools = []struct{ name, description string }{
	{"web_search", "Search the web and return the top results"},
	{"sql_query", "Run a read-only SQL query on the analytics warehouse"},
	{"fetch_url", "Download a page and return its text"},
	{"send_email", "Send an email on behalf of the user"},
	{"vector_lookup", "Find the nearest documents in the knowledge base"},
	{"calculator", "Evaluate an arithmetic expression"},
}

// sentences feed the ~300-character prompts, completions, inputs and
// outputs: natural text, so gzip ratios look like real traffic.
var sentences = []string{
	"You are a helpful assistant that answers with short, precise sentences.",
	"Summarize the customer's last three messages and propose a next step.",
	"The quarterly revenue grew by 12 percent, driven by the enterprise tier.",
	"Use the search results below to answer the question and cite your sources.",
	"The user asked to reschedule the delivery to Thursday afternoon.",
	"Classify the ticket as billing, technical, account or other.",
	"Return the answer as JSON with the fields status, reason and confidence.",
	"Refund requests older than thirty days need a manager's approval.",
	"The deployment failed because the database migration timed out.",
	"List the three most relevant documents and explain why each matters.",
	"I could not find an invoice with that number in the last twelve months.",
	"The flight to Lisbon leaves at 09:40 and the hotel is close to the station.",
	"Rewrite the paragraph in a friendly tone without changing its meaning.",
	"The pull request adds retries to the HTTP client but lacks a test.",
	"Based on the context, the most likely cause is an expired API token.",
	"Draft a reply that apologizes for the delay and offers a discount code.",
	"Translate the product description into French and keep the bullet points.",
	"The report should compare the last two quarters and highlight risks.",
	"Check whether the order shipped and give the tracking number if it did.",
	"Think step by step, then give only the final answer on the last line.",
}

// textGen writes pseudo-random natural text of a chosen length.
type textGen struct {
	rng *rand.Rand
	sb  strings.Builder
}

// text returns about n characters: whole sentences, the last one cut.
func (g *textGen) text(n int) string {
	g.sb.Reset()
	for g.sb.Len() < n {
		if g.sb.Len() > 0 {
			g.sb.WriteByte(' ')
		}
		g.sb.WriteString(sentences[g.rng.IntN(len(sentences))])
		if g.rng.IntN(3) == 0 {
			fmt.Fprintf(&g.sb, " Ref #%d.", g.rng.IntN(1_000_000))
		}
	}
	return g.sb.String()[:n]
}

// around returns a length within ±10% of n.
func (g *textGen) around(n int) int { return n - n/10 + g.rng.IntN(n/5+1) }

// payloadShape is what one request carries.
type payloadShape struct {
	spans, traces int
}

// spansInTrace spreads spans over traces as evenly as possible.
func (p payloadShape) spansInTrace(t int) int {
	n := p.spans / p.traces
	if t < p.spans%p.traces {
		n++
	}
	return n
}

// buildTraces returns one request's worth of traces. Each trace is a session
// root, an agent under it and alternating llm and tool spans under the agent.
// ids come from ids, everything else from text, so content is reproducible.
func buildTraces(shape payloadShape, body int, ids, content *rand.Rand, now time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr(attrServiceName, "agentops-loadgen")
	res.PutStr(attrServiceVersion, "1.4.2")
	res.PutStr(attrDeployEnv, "production")
	res.PutStr(attrSDKName, "agentops")
	res.PutStr(attrSDKLanguage, "python")
	res.PutStr(attrSDKVersion, "0.4.16")
	res.PutStr(attrHostName, fmt.Sprintf("agent-worker-%02d", body%16))
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("agentops")
	ss.Scope().SetVersion("0.4.16")
	spans := ss.Spans()
	spans.EnsureCapacity(shape.spans)

	b := spanBuilder{spans: spans, ids: ids, gen: textGen{rng: content}, body: body}
	for t := range shape.traces {
		b.trace(t, shape.spansInTrace(t), now.Add(-time.Duration(content.IntN(120_000))*time.Millisecond))
	}
	return td
}

type spanBuilder struct {
	spans ptrace.SpanSlice
	ids   *rand.Rand
	gen   textGen
	body  int
	llms  int // LLM spans so far, to cycle over models
}

func (b *spanBuilder) traceID() pcommon.TraceID {
	var id pcommon.TraceID
	for id.IsEmpty() {
		binary.LittleEndian.PutUint64(id[:8], b.ids.Uint64())
		binary.LittleEndian.PutUint64(id[8:], b.ids.Uint64())
	}
	return id
}

func (b *spanBuilder) spanID() pcommon.SpanID {
	var id pcommon.SpanID
	for id.IsEmpty() {
		binary.LittleEndian.PutUint64(id[:], b.ids.Uint64())
	}
	return id
}

func (b *spanBuilder) span(tid pcommon.TraceID, parent pcommon.SpanID, name string, kind ptrace.SpanKind, start, end time.Time) ptrace.Span {
	sp := b.spans.AppendEmpty()
	sp.SetTraceID(tid)
	sp.SetSpanID(b.spanID())
	sp.SetParentSpanID(parent)
	sp.SetName(name)
	sp.SetKind(kind)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
	sp.Status().SetCode(ptrace.StatusCodeOk)
	sp.Attributes().EnsureCapacity(12)
	return sp
}

// entityJSON wraps about n characters of text as a wrapped function's JSON.
func (b *spanBuilder) entityJSON(n int) string {
	return `{"input":"` + b.gen.text(b.gen.around(n)-12) + `"}`
}

// trace appends n spans (n >= 1) of one session starting at start.
func (b *spanBuilder) trace(t, n int, start time.Time) {
	rng := b.gen.rng
	tid := b.traceID()
	workflow := workflows[(b.body+t)%len(workflows)]
	agent := agents[(b.body*7+t)%len(agents)]
	m := models[(b.body+t)%len(models)]

	// Children run one after the other under the agent; their durations
	// decide the agent's and the session's end.
	type child struct {
		llm        bool
		start, end time.Time
	}
	children := make([]child, 0, max(n-2, 0))
	at := start.Add(15 * time.Millisecond)
	for i := range max(n-2, 0) {
		c := child{llm: i%2 == 0, start: at}
		if c.llm {
			c.end = at.Add(time.Duration(300+rng.IntN(3700)) * time.Millisecond)
		} else {
			c.end = at.Add(time.Duration(20+rng.IntN(800)) * time.Millisecond)
		}
		children = append(children, c)
		at = c.end.Add(time.Duration(1+rng.IntN(5)) * time.Millisecond)
	}
	agentEnd := at.Add(2 * time.Millisecond)
	sessionEnd := agentEnd.Add(3 * time.Millisecond)

	root := b.span(tid, pcommon.SpanID{}, workflow+".session", ptrace.SpanKindInternal, start, sessionEnd)
	endState := semconv.EndStateSuccess
	switch rng.IntN(20) {
	case 0:
		endState = semconv.EndStateFailure
	case 1:
		endState = semconv.EndStateIndeterminate
	}
	a := root.Attributes()
	a.PutStr(semconv.SpanKind, semconv.KindSession)
	a.PutStr(semconv.OperationName, workflow)
	a.PutStr(semconv.SessionName, fmt.Sprintf("%s-%d-%d", workflow, b.body, t))
	a.PutStr(semconv.Tags, `["loadgen","`+workflow+`","production"]`)
	a.PutStr(attrHostName, fmt.Sprintf("agent-worker-%02d", b.body%16))
	a.PutStr(attrHostArch, "amd64")
	a.PutStr(attrOSType, "linux")
	a.PutStr(attrOSVersion, "6.8.0-45-generic")
	a.PutStr(attrDeployEnv, "production")
	a.PutStr(semconv.EndState, endState)
	a.PutStr(semconv.EntityInput, b.entityJSON(300))
	a.PutStr(semconv.EntityOutput, b.entityJSON(300))
	if n == 1 {
		return
	}

	ag := b.span(tid, root.SpanID(), agent+".agent", ptrace.SpanKindInternal, start.Add(5*time.Millisecond), agentEnd)
	a = ag.Attributes()
	a.PutStr(semconv.SpanKind, semconv.KindAgent)
	a.PutStr(semconv.OperationName, agent)
	a.PutStr(semconv.GenAIOperationName, semconv.OpInvokeAgent)
	a.PutStr(attrAgentName, agent)
	a.PutStr(attrAgentID, fmt.Sprintf("agt_%08x", rng.Uint32()))
	a.PutStr(semconv.GenAIProviderName, m.provider)
	a.PutStr(semconv.GenAIRequestModel, m.request)
	a.PutInt("agent.max_iterations", 10)
	a.PutStr("agent.role", "You are the "+agent+" of a "+strings.ReplaceAll(workflow, "_", " ")+" team.")
	a.PutStr("agent.tools", `["web_search","sql_query","fetch_url","vector_lookup"]`)
	a.PutStr(semconv.EntityInput, b.entityJSON(300))
	a.PutStr(semconv.EntityOutput, b.entityJSON(300))

	for _, c := range children {
		if c.llm {
			b.llm(tid, ag.SpanID(), c.start, c.end)
		} else {
			b.tool(tid, ag.SpanID(), c.start, c.end)
		}
	}
}

func (b *spanBuilder) llm(tid pcommon.TraceID, parent pcommon.SpanID, start, end time.Time) {
	rng := b.gen.rng
	m := models[b.llms%len(models)]
	b.llms++
	prompt := b.gen.text(b.gen.around(300))
	completion := b.gen.text(b.gen.around(300))
	sp := b.span(tid, parent, m.spanName, ptrace.SpanKindClient, start, end)
	a := sp.Attributes()
	a.PutStr(semconv.SpanKind, semconv.KindLLM)
	a.PutStr(semconv.GenAIProviderName, m.provider)
	a.PutStr(semconv.GenAIOperationName, semconv.OpChat)
	a.PutStr(semconv.GenAIRequestModel, m.request)
	a.PutStr(semconv.GenAIResponseModel, m.response)
	a.PutStr(semconv.GenAIResponseID, fmt.Sprintf("resp_%016x", rng.Uint64()))
	a.PutInt(semconv.GenAIInputTokens, int64(len(prompt)/4+200+rng.IntN(2800)))
	a.PutInt(semconv.GenAIOutputTokens, int64(len(completion)/4+rng.IntN(400)))
	a.PutStr(attrPromptRole, "user")
	a.PutStr(attrPromptContent, prompt)
	a.PutStr(attrCompletionText, completion)
	a.PutStr(attrCompletionFinish, "stop")
}

func (b *spanBuilder) tool(tid pcommon.TraceID, parent pcommon.SpanID, start, end time.Time) {
	rng := b.gen.rng
	tl := tools[rng.IntN(len(tools))]
	sp := b.span(tid, parent, tl.name+".tool", ptrace.SpanKindInternal, start, end)
	a := sp.Attributes()
	a.PutStr(semconv.SpanKind, semconv.KindTool)
	a.PutStr(semconv.OperationName, tl.name)
	a.PutStr(semconv.GenAIOperationName, semconv.OpExecuteTool)
	a.PutStr(attrToolName, tl.name)
	a.PutStr(attrToolCallID, fmt.Sprintf("call_%012x", rng.Uint64()>>16))
	a.PutStr(attrToolType, "function")
	a.PutStr(attrToolDescription, tl.description)
	a.PutInt("tool.retries", int64(rng.IntN(10)/8))
	a.PutBool("tool.cached", rng.IntN(4) == 0)
	a.PutStr("tool.status", "succeeded")
	a.PutStr(semconv.EntityInput, b.entityJSON(300))
	a.PutStr(semconv.EntityOutput, b.entityJSON(300))
}
