package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/agentops-go/agentops/semconv"
)

// scenario is the agent a session runs.
type scenario int

const (
	research scenario = iota
	support
	codeReview
	pipeline
	evaluation
)

// build makes the session p plans.
func (g *gen) build(p plan) *session {
	switch p.scenario {
	case research:
		return g.research(p)
	case support:
		return g.support(p)
	case codeReview:
		return g.codeReview(p)
	case pipeline:
		return g.pipeline(p)
	}
	return g.evaluation(p)
}

// outcome draws how a session without a notable role ends: mostly fine,
// sometimes failed, rarely indeterminate.
type outcome int

const (
	ok outcome = iota
	failed
	abandoned
)

func (g *gen) outcome(p plan) outcome {
	switch p.notable {
	case notableFailure:
		return failed
	case notableIndeterminate:
		return abandoned
	case -1:
		switch n := g.rng.Float64(); {
		case n < 0.08:
			return failed
		case n < 0.11:
			return abandoned
		}
	}
	return ok
}

// ms is a short gap between spans: the agent's own code running.
func (g *gen) ms(lo, hi int) time.Duration {
	return g.between(time.Duration(lo)*time.Millisecond, time.Duration(hi)*time.Millisecond)
}

// ---- research assistant ----------------------------------------------------

var researchSvc = service{name: "research-agent", version: "1.8.2", env: "prod", hosts: []string{"research-worker-1", "research-worker-2", "research-worker-3"}, cwd: "/srv/research-agent"}

type researchTopic struct {
	question string
	queries  []string
	sources  []string // domains
}

var researchTopics = []researchTopic{
	{"What changed in solid-state battery manufacturing in the last two years?", []string{"solid-state battery pilot line 2026", "sulfide electrolyte dry room cost", "solid-state battery yield announcements"}, []string{"nature.com", "electrek.co", "spectrum.ieee.org"}},
	{"How does CRISPR base editing differ from prime editing for clinical use?", []string{"base editing vs prime editing off-target", "prime editing clinical trial results", "base editing approved therapies"}, []string{"nejm.org", "nature.com", "statnews.com"}},
	{"Which obligations of the EU AI Act apply to general-purpose AI model providers?", []string{"EU AI Act GPAI obligations", "AI Act code of practice GPAI", "AI Act systemic risk threshold FLOPs"}, []string{"eur-lex.europa.eu", "artificialintelligenceact.eu", "iapp.org"}},
	{"Do heat pumps work well in very cold climates?", []string{"cold climate heat pump COP -25C", "heat pump field study Canada", "heat pump backup heat usage Nordics"}, []string{"energy.gov", "nrel.gov", "iea.org"}},
	{"What is the status of the WebAssembly component model?", []string{"WASI 0.3 release", "wasm component model adoption", "wit bindgen languages"}, []string{"bytecodealliance.org", "github.com", "infoq.com"}},
	{"What do small modular reactors cost per MWh compared to wind and solar?", []string{"SMR LCOE estimate 2025", "NuScale cost overrun", "Lazard LCOE 2025 nuclear solar wind"}, []string{"lazard.com", "iea.org", "reuters.com"}},
	{"Summarize recent results on retrieval-augmented generation evaluation.", []string{"RAG evaluation benchmark 2025", "faithfulness metrics RAG", "long context vs RAG comparison"}, []string{"arxiv.org", "aclanthology.org", "huggingface.co"}},
}

func (g *gen) research(p plan) *session {
	topic := pick(g, researchTopics)
	s := g.newSession(researchSvc, "research-assistant", p.start)
	s.tags = []string{"research", researchSvc.env}
	out := g.outcome(p)
	running := p.notable == notableRunning
	if running {
		s.tags = append(s.tags, "live")
	}

	t := p.start.Add(g.ms(3, 30))
	wf := s.span(s.root, semconv.KindWorkflow, "research", t)
	entity(wf, semconv.EntityInput, map[string]any{"question": topic.question, "depth": "standard"})

	// The planner turns the question into searches.
	t = t.Add(g.ms(1, 8))
	planner := s.span(wf, semconv.KindAgent, "planner", t)
	entity(planner, semconv.EntityInput, map[string]any{"question": topic.question})
	nq := 2 + g.rng.IntN(len(topic.queries)-1)
	queries := topic.queries[:nq]
	model := gpt4o
	if chance(g, 0.3) {
		model = claudeSonnet
	}
	var calls []toolCall
	for _, q := range queries {
		calls = append(calls, toolCall{id: s.toolCallID(model), name: "web_search", arguments: jsonArgs(map[string]any{"query": q, "max_results": 5})})
	}
	finishReason := "tool_calls"
	if model.provider == "anthropic" {
		finishReason = "tool_use"
	}
	in := g.tokens(1100, 1700)
	t = s.llm(planner, t.Add(g.ms(2, 10)), call{
		model: model, temperature: 0.2, maxTokens: 1024,
		prompt: []message{
			{role: "system", content: "You are a research planner. Break the user's question into 2-4 focused web searches. Call web_search once per search; do not answer yet."},
			{role: "user", content: topic.question},
		},
		reply: message{role: "assistant", toolCalls: calls, finish: finishReason},
		input: in, cacheRead: cachedShare(g, in, 1024),
	})
	t = finish(planner, t.Add(g.ms(1, 5)), map[string]any{"queries": queries})

	// The searches run one after the other.
	var results []map[string]string
	for i, q := range queries {
		t = t.Add(g.ms(2, 15))
		tool := s.span(wf, semconv.KindTool, "web_search", t)
		entity(tool, semconv.EntityInput, map[string]any{"query": q, "max_results": 5})
		hits := []map[string]string{}
		for j := range 3 {
			d := topic.sources[(i+j)%len(topic.sources)]
			hits = append(hits, map[string]string{"title": fmt.Sprintf("%s — %s", titleCase(q), d), "url": fmt.Sprintf("https://%s/%s", d, slug(q, j)), "snippet": "…" + q + " …"})
		}
		results = append(results, hits[0])
		t = finish(tool, t.Add(g.between(350*time.Millisecond, 1600*time.Millisecond)), map[string]any{"results": hits})
	}
	if running {
		// The root and the workflow are still open, exported as in-flight
		// snapshots (no end time), as the Python SDK's live processor
		// marks them; the reader has not started yet.
		s.root.Attributes().PutBool(inFlight, true)
		wf.Attributes().PutBool(inFlight, true)
		s.setTags()
		return s
	}

	// The reader fetches the best pages.
	t = t.Add(g.ms(2, 12))
	reader := s.span(wf, semconv.KindAgent, "reader", t)
	entity(reader, semconv.EntityInput, map[string]any{"urls": urls(results)})
	for i, r := range results {
		t = t.Add(g.ms(1, 6))
		fetch := s.span(reader, semconv.KindTool, "fetch_page", t)
		entity(fetch, semconv.EntityInput, map[string]any{"url": r["url"]})
		if out == failed && i == len(results)-1 {
			f := failure{
				typ:   "*url.Error",
				msg:   fmt.Sprintf("Get %q: context deadline exceeded (Client.Timeout exceeded while awaiting headers)", r["url"]),
				stack: fetchStack,
			}
			t = fail(fetch, t.Add(30*time.Second), f)
			t = fail(reader, t.Add(g.ms(1, 4)), f)
			t = fail(wf, t.Add(g.ms(1, 3)), f)
			s.end(t.Add(g.ms(2, 20)), semconv.EndStateFailure, f.msg)
			return s
		}
		t = finish(fetch, t.Add(g.between(300*time.Millisecond, 2500*time.Millisecond)), map[string]any{"status": 200, "bytes": 18000 + g.rng.IntN(90000), "text_chars": 6000 + g.rng.IntN(20000)})
	}
	t = finish(reader, t.Add(g.ms(1, 5)), map[string]any{"pages": len(results)})

	// The writer answers with citations.
	t = t.Add(g.ms(2, 10))
	writer := s.span(wf, semconv.KindAgent, "writer", t)
	entity(writer, semconv.EntityInput, map[string]any{"question": topic.question, "sources": len(results)})
	wmodel := claudeSonnet
	if chance(g, 0.35) {
		wmodel = gpt4o
	}
	in = g.tokens(4200, 9000)
	answer := fmt.Sprintf("## %s\n\n**Short answer:** the recent evidence is consistent, but most of it comes from a handful of groups and early deployments, so treat the numbers as indicative.\n\n"+
		"**What the sources say**\n\n1. %s: the most-cited reports agree on the direction of the change and give figures within about 20%% of each other [1].\n"+
		"2. %s: independent measurements are scarcer; the ones available confirm the trend under realistic conditions [2].\n"+
		"3. Cost and scale remain the open questions; published estimates depend heavily on assumptions about volume [3].\n\n"+
		"**Caveats:** vendor announcements were excluded where no data was published. Re-run this brief in six months.\n\n"+
		"Sources:\n[1] %s\n[2] %s\n[3] %s",
		topic.question, titleCase(queries[0]), titleCase(queries[1]), results[0]["url"], results[1]["url"], results[len(results)-1]["url"])
	t = s.llm(writer, t.Add(g.ms(2, 8)), call{
		model: wmodel, temperature: 0.4, maxTokens: 2048,
		prompt: []message{
			{role: "system", content: "You write concise, well-sourced research briefs. Cite every claim with [n]."},
			{role: "user", content: topic.question + "\n\nSources:\n" + strings.Join(urls(results), "\n")},
		},
		reply: message{role: "assistant", content: answer, finish: stopReason(wmodel)},
		input: in, cacheRead: cachedShare(g, in, 2048),
	})
	t = finish(writer, t.Add(g.ms(1, 5)), answer)
	if out == abandoned {
		// The program returned without ending the session.
		t = finish(wf, t.Add(g.ms(1, 4)), map[string]any{"answer_chars": len(answer)})
		s.end(t.Add(g.ms(5, 50)), semconv.EndStateIndeterminate, "session not ended explicitly; closed at process exit")
		return s
	}
	t = t.Add(g.ms(1, 5))
	cite := s.span(wf, semconv.KindTask, "check_citations", t)
	entity(cite, semconv.EntityInput, map[string]any{"citations": 3})
	t = finish(cite, t.Add(g.ms(20, 180)), map[string]any{"valid": 3, "broken": 0})
	t = finish(wf, t.Add(g.ms(1, 4)), map[string]any{"answer_chars": len(answer)})
	s.end(t.Add(g.ms(2, 20)), semconv.EndStateSuccess, "")
	return s
}

// inFlight marks a snapshot of a span still running (the Python SDK's
// agentops.in-flight).
const inFlight = "agentops.in-flight"

const fetchStack = `goroutine 42 [running]:
net/http.(*Client).do(0xc0001a6000, 0xc0003b2000)
	/usr/local/go/src/net/http/client.go:725 +0x8f1
net/http.(*Client).Do(...)
	/usr/local/go/src/net/http/client.go:590
github.com/acme/research-agent/internal/tools.FetchPage({0x1a3c2e0, 0xc0004c8f00}, {0xc0002d6180, 0x41})
	/srv/research-agent/internal/tools/fetch.go:58 +0x1f4
github.com/acme/research-agent/internal/agents.(*Reader).Run.func1({0x1a3c2e0, 0xc0004c8f00})
	/srv/research-agent/internal/agents/reader.go:37 +0x6a
github.com/agentops-go/agentops.Span[...]({0x1a3c2e0, 0xc0004c8e40}, {0x16f0b5e, 0x4}, {0x16f2a31, 0xa}, 0xc000511e90, {0x0, 0x0, 0x0})
	/root/go/pkg/mod/github.com/agentops-go/agentops@v0.1.0/span.go:75 +0x1b7
main.main()
	/srv/research-agent/cmd/research-agent/main.go:64 +0x3c5`

// ---- customer-support triage ----------------------------------------------

var supportSvc = service{name: "support-triage", version: "2.3.0", env: "prod", hosts: []string{"support-api-7f9c4", "support-api-b21d8"}, cwd: "/app"}

type ticket struct {
	text, category, priority string
}

var tickets = []ticket{
	{"I was charged twice for my March invoice, please refund one of the charges.", "billing", "high"},
	{"I can't log in after resetting my password, it says the link expired.", "account", "normal"},
	{"How do I export all my projects to CSV?", "how-to", "low"},
	{"The iOS app crashes every time I upload a photo larger than 10 MB.", "bug", "normal"},
	{"Please cancel my subscription at the end of this billing period.", "cancellation", "normal"},
	{"Your API has been returning 502 errors intermittently since 9am.", "incident", "urgent"},
	{"Can I add a second admin to our workspace without upgrading?", "how-to", "low"},
	{"We need a signed DPA before our security review on Friday.", "legal", "high"},
}

func (g *gen) support(p plan) *session {
	tk := pick(g, tickets)
	tier := pick(g, []string{"free", "pro", "pro", "enterprise"})
	channel := pick(g, []string{"email", "chat", "chat"})
	s := g.newSession(supportSvc, "support-triage", p.start)
	s.tags = []string{"support", supportSvc.env, "tier:" + tier, channel}
	out := g.outcome(p)
	if p.notable == notableUnpriced {
		s.tags = append(s.tags, "self-hosted")
	}
	email := fmt.Sprintf("%s@%s", pick(g, []string{"maria", "j.chen", "ops", "sam.k", "billing", "a.novak"}), pick(g, []string{"northwind.io", "globex.com", "initech.dev", "example.org"}))

	t := p.start.Add(g.ms(2, 20))
	triage := s.span(s.root, semconv.KindAgent, "triage", t)
	entity(triage, semconv.EntityInput, map[string]any{"channel": channel, "from": email, "message": tk.text})
	in := g.tokens(380, 720)
	classification := fmt.Sprintf(`{"category":%q,"priority":%q,"sentiment":%q,"needs_human":%t}`, tk.category, tk.priority, pick(g, []string{"negative", "neutral", "neutral", "positive"}), tk.priority == "urgent")
	t = s.llm(triage, t.Add(g.ms(2, 8)), call{
		model: gpt4oMini, temperature: 0, maxTokens: 256,
		prompt: []message{
			{role: "system", content: "Classify the support message. Answer with JSON: category, priority, sentiment, needs_human."},
			{role: "user", content: tk.text},
		},
		reply: message{role: "assistant", content: classification, finish: "stop"},
		input: in,
	})
	t = t.Add(g.ms(2, 10))
	lookup := s.span(triage, semconv.KindTool, "lookup_customer", t)
	entity(lookup, semconv.EntityInput, map[string]any{"email": email})
	t = finish(lookup, t.Add(g.ms(40, 260)), map[string]any{"customer_id": fmt.Sprintf("cus_%06d", g.rng.IntN(1000000)), "plan": tier, "open_tickets": g.rng.IntN(4)})
	t = finish(triage, t.Add(g.ms(1, 5)), classification)

	t = t.Add(g.ms(2, 10))
	responder := s.span(s.root, semconv.KindAgent, "responder", t)
	entity(responder, semconv.EntityInput, map[string]any{"category": tk.category, "priority": tk.priority})
	t = t.Add(g.ms(1, 5))
	kb := s.span(responder, semconv.KindTool, "search_kb", t)
	entity(kb, semconv.EntityInput, map[string]any{"query": tk.text, "top_k": 3})
	article := fmt.Sprintf("kb/%s/%d", tk.category, 100+g.rng.IntN(900))
	t = finish(kb, t.Add(g.ms(60, 420)), map[string]any{"articles": []string{article}})

	model := gpt4oMini
	switch {
	case p.notable == notableUnpriced:
		model = selfHosted
	case chance(g, 0.3):
		model = claudeHaiku
	}
	reply := fmt.Sprintf("Hi,\n\nThanks for reaching out. I've looked into this (%s): %s\n\nYou can find the steps in our help center: https://help.example.com/%s\n\nBest,\nThe Support Team",
		tk.category, "here is what happened and what we will do next.", article)
	in = g.tokens(900, 1800)
	t = s.llm(responder, t.Add(g.ms(2, 8)), call{
		model: model, temperature: 0.3, maxTokens: 800,
		prompt: []message{
			{role: "system", content: "You are a friendly support agent. Answer using the knowledge-base article; never promise refunds above $500."},
			{role: "user", content: tk.text},
			{role: "tool", content: `{"article":"` + article + `"}`},
		},
		reply: message{role: "assistant", content: reply, finish: stopReason(model)},
		input: in,
	})

	if out == abandoned {
		reason := "customer left the chat before the reply was sent"
		if p.notable == notableIndeterminate {
			reason = "session not ended explicitly; closed at process exit"
		}
		t = finish(responder, t.Add(g.ms(1, 4)), nil)
		s.end(t.Add(g.ms(10, 200)), semconv.EndStateIndeterminate, reason)
		return s
	}

	t = t.Add(g.ms(1, 6))
	guard := s.span(responder, semconv.KindGuardrail, "pii_filter", t)
	entity(guard, semconv.EntityInput, map[string]any{"text_chars": len(reply)})
	if out == failed && chance(g, 0.5) {
		f := failure{typ: "*guard.BlockedError", msg: "guardrail pii_filter blocked the reply: it contains a payment card number"}
		t = fail(guard, t.Add(g.ms(5, 40)), f)
		t = fail(responder, t.Add(g.ms(1, 3)), f)
		s.end(t.Add(g.ms(2, 10)), semconv.EndStateFailure, f.msg)
		return s
	}
	t = finish(guard, t.Add(g.ms(5, 40)), map[string]any{"passed": true, "redactions": 0})

	t = t.Add(g.ms(1, 6))
	send := s.span(responder, semconv.KindTool, "create_ticket", t)
	entity(send, semconv.EntityInput, map[string]any{"requester": email, "priority": tk.priority, "tags": []string{tk.category}})
	if out == failed {
		f := failure{typ: "*zendesk.APIError", msg: "zendesk: 422 Unprocessable Entity: Requester email is invalid", stack: zendeskStack}
		t = fail(send, t.Add(g.ms(180, 700)), f)
		t = fail(responder, t.Add(g.ms(1, 3)), f)
		s.end(t.Add(g.ms(2, 10)), semconv.EndStateFailure, f.msg)
		return s
	}
	t = finish(send, t.Add(g.ms(150, 600)), map[string]any{"ticket_id": fmt.Sprintf("ZD-%d", 40000+g.rng.IntN(20000)), "status": "pending"})
	t = finish(responder, t.Add(g.ms(1, 4)), reply)
	s.end(t.Add(g.ms(2, 20)), semconv.EndStateSuccess, "")
	return s
}

const zendeskStack = `goroutine 118 [running]:
github.com/acme/support-triage/internal/zendesk.(*Client).CreateTicket(0xc000214a80, {0x1c5e7a0, 0xc0006a2c30}, 0xc00041e2d0)
	/app/internal/zendesk/tickets.go:91 +0x36c
github.com/acme/support-triage/internal/agents.(*Responder).send(0xc0001f4000, {0x1c5e7a0, 0xc0006a2c30}, 0xc00041e2d0)
	/app/internal/agents/responder.go:142 +0xb1
github.com/agentops-go/agentops.Span[...]({0x1c5e7a0, 0xc0006a2b70}, {0x19e3f1a, 0x4}, {0x19e9c07, 0xd}, 0xc0005c1d58, {0x0, 0x0, 0x0})
	/go/pkg/mod/github.com/agentops-go/agentops@v0.1.0/span.go:75 +0x1b7`

// ---- code reviewer ---------------------------------------------------------

var reviewSvc = service{name: "code-reviewer", version: "0.9.4", env: "ci", hosts: []string{"gha-runner-3f2a", "gha-runner-8c1e", "gha-runner-d407"}, cwd: "/home/runner/work/review-bot"}

type pullRequest struct {
	repo, title, file, hunk string
}

var pullRequests = []pullRequest{
	{"acme/payments-service", "Add idempotency keys to the refund endpoint", "internal/refund/handler.go", "```diff\n--- a/internal/refund/handler.go\n+++ b/internal/refund/handler.go\n@@ -41,6 +41,13 @@ func (h *Handler) Refund(w http.ResponseWriter, r *http.Request) {\n+\tkey := r.Header.Get(\"Idempotency-Key\")\n+\tif prev, ok := h.seen[key]; ok {\n+\t\twriteJSON(w, http.StatusOK, prev)\n+\t\treturn\n+\t}\n \tres, err := h.payments.Refund(r.Context(), req)\n+\th.seen[key] = res\n```"},
	{"acme/payments-service", "Retry webhook delivery with exponential backoff", "internal/webhooks/deliver.go", "```diff\n--- a/internal/webhooks/deliver.go\n+++ b/internal/webhooks/deliver.go\n@@ -88,7 +88,14 @@ func (d *Deliverer) Send(ctx context.Context, ev Event) error {\n-\treturn d.post(ctx, ev)\n+\tfor attempt := 0; attempt < 5; attempt++ {\n+\t\tif err := d.post(ctx, ev); err == nil {\n+\t\t\treturn nil\n+\t\t}\n+\t\ttime.Sleep(time.Second << attempt)\n+\t}\n+\treturn errGaveUp\n```"},
	{"acme/web-frontend", "Migrate settings page to the new form components", "src/pages/Settings.tsx", "```diff\n--- a/src/pages/Settings.tsx\n+++ b/src/pages/Settings.tsx\n@@ -12,9 +12,11 @@ export function Settings() {\n-  const [name, setName] = useState(user.name);\n+  const form = useForm({ defaultValues: { name: user.name } });\n-  <input value={name} onChange={e => setName(e.target.value)} />\n+  <TextField {...form.register(\"name\")} label=\"Name\" />\n```"},
	{"acme/web-frontend", "Fix layout shift on the pricing page", "src/components/PriceCard.tsx", "```diff\n--- a/src/components/PriceCard.tsx\n+++ b/src/components/PriceCard.tsx\n@@ -20,4 +20,4 @@\n-  <img src={plan.icon} />\n+  <img src={plan.icon} width={48} height={48} alt=\"\" />\n```"},
	{"acme/infra", "Move session store to a Redis cluster", "terraform/redis.tf", "```diff\n--- a/terraform/redis.tf\n+++ b/terraform/redis.tf\n@@ -1,6 +1,9 @@\n-resource \"aws_elasticache_cluster\" \"sessions\" {\n-  num_cache_nodes = 1\n+resource \"aws_elasticache_replication_group\" \"sessions\" {\n+  num_node_groups         = 3\n+  replicas_per_node_group = 1\n+  automatic_failover_enabled = true\n```"},
	{"acme/ingest", "Fix race in cache invalidation on config reload", "internal/cache/cache.go", "```diff\n--- a/internal/cache/cache.go\n+++ b/internal/cache/cache.go\n@@ -57,6 +57,8 @@ func (c *Cache) Reload(cfg Config) {\n+\tc.mu.Lock()\n+\tdefer c.mu.Unlock()\n \tc.entries = make(map[string]entry, cfg.Size)\n \tc.ttl = cfg.TTL\n```"},
	{"acme/ingest", "Bump Go to 1.26 and fix new vet warnings", "go.mod", "```diff\n--- a/go.mod\n+++ b/go.mod\n@@ -1,3 +1,3 @@\n module github.com/acme/ingest\n-go 1.25\n+go 1.26\n```"},
}

var reviewComments = []string{
	"This map is written from concurrent requests without a lock; guard it or use sync.Map.",
	"The loop sleeps without honouring ctx: a cancelled request keeps retrying for up to 31 s.",
	"No test covers the failure path; add one that makes the dependency return an error.",
	"The error is logged and then returned: it will be reported twice.",
	"Consider naming this constant: the magic number 5 appears in three places.",
	"Entries are never evicted, so memory grows with every distinct key.",
}

// review is a reviewer's JSON answer with findings comments on pr.
func (g *gen) review(pr pullRequest, findings int) string {
	type comment struct {
		File string `json:"file"`
		Line int    `json:"line"`
		Body string `json:"body"`
	}
	cs := []comment{}
	for range findings {
		cs = append(cs, comment{pr.file, 10 + g.rng.IntN(90), pick(g, reviewComments)})
	}
	summary := "Looks good: the change is small, focused and covered by the existing tests."
	if findings > 0 {
		summary = fmt.Sprintf("The change does what the title says, but %d issue(s) should be fixed before merging.", findings)
	}
	return jsonArgs(map[string]any{"summary": summary, "comments": cs, "verdict": verdict(findings)})
}

func (g *gen) codeReview(p plan) *session {
	pr := pick(g, pullRequests)
	num := 1200 + g.rng.IntN(800)
	s := g.newSession(reviewSvc, "code-reviewer", p.start)
	repoTag := "repo:" + pr.repo[strings.IndexByte(pr.repo, '/')+1:]
	s.tags = []string{"code-review", "ci", repoTag}
	out := g.outcome(p)
	retry := p.notable == notableRetry || (p.notable == -1 && chance(g, 0.08))

	t := p.start.Add(g.ms(2, 20))
	wf := s.span(s.root, semconv.KindWorkflow, "review_pull_request", t)
	entity(wf, semconv.EntityInput, map[string]any{"repo": pr.repo, "pr": num})

	t = t.Add(g.ms(1, 5))
	fetch := s.span(wf, semconv.KindTask, "fetch_diff", t)
	entity(fetch, semconv.EntityInput, map[string]any{"repo": pr.repo, "pr": num})
	t = t.Add(g.ms(1, 4))
	gh := s.span(fetch, semconv.KindTool, "github_get_pull_request", t)
	entity(gh, semconv.EntityInput, map[string]any{"owner": strings.Split(pr.repo, "/")[0], "repo": strings.Split(pr.repo, "/")[1], "number": num})
	files, adds, dels := 1+g.rng.IntN(14), 5+g.rng.IntN(600), g.rng.IntN(250)
	t = finish(gh, t.Add(g.ms(180, 900)), map[string]any{"title": pr.title, "files_changed": files, "additions": adds, "deletions": dels})
	t = finish(fetch, t.Add(g.ms(1, 4)), map[string]any{"files": files})

	t = t.Add(g.ms(2, 10))
	reviewer := s.span(wf, semconv.KindAgent, "reviewer", t)
	entity(reviewer, semconv.EntityInput, map[string]any{"title": pr.title, "files": files})
	model := claudeSonnet
	if chance(g, 0.4) && !retry {
		model = o4Mini
	}
	in := g.tokens(3000, 14000)
	findings := g.rng.IntN(4)
	review := g.review(pr, findings)
	c := call{
		model: model, temperature: 0, maxTokens: 4096,
		prompt: []message{
			{role: "system", content: "You are a senior reviewer. Review the diff for bugs, races, missing tests and unclear names. Answer as JSON: summary, findings, verdict."},
			{role: "user", content: fmt.Sprintf("PR #%d in %s: %s\n%d files changed, +%d -%d\n\n%s", num, pr.repo, pr.title, files, adds, dels, pr.hunk)},
		},
		reply: message{role: "assistant", content: review, finish: stopReason(model)},
		input: in, cacheRead: cachedShare(g, in, 2048),
	}
	if model == o4Mini {
		c.reasoning = g.tokens(300, 2500)
	} else if chance(g, 0.5) { // extended thinking
		c.reasoning = g.tokens(200, 1200)
	}
	attempts := 1
	if retry {
		attempts = 2
	}
	if out == failed && chance(g, 0.5) {
		attempts = 4 // overloaded three times, then given up
	}
	for a := 1; a <= attempts; a++ {
		last := a == attempts
		switch {
		case attempts == 4 && !last:
			t = s.refused(reviewer, t.Add(g.ms(2, 8)), c, 529, "overloaded_error", "Overloaded")
			t = t.Add(time.Duration(1<<a) * time.Second)
		case attempts == 4:
			f := failure{typ: "*anthropic.Error", msg: "anthropic: 529 overloaded_error: Overloaded (gave up after 3 retries)"}
			t = fail(reviewer, t.Add(g.ms(1, 4)), f)
			t = fail(wf, t.Add(g.ms(1, 3)), f)
			s.end(t.Add(g.ms(2, 10)), semconv.EndStateFailure, f.msg)
			return s
		case !last:
			t = s.refused(reviewer, t.Add(g.ms(2, 8)), c, 429, "rate_limit_error",
				"This request would exceed the rate limit for your organization of 80,000 input tokens per minute. Please reduce the prompt length or try again later.")
			t = t.Add(g.between(1500*time.Millisecond, 4*time.Second)) // Retry-After
		default:
			t = s.llm(reviewer, t.Add(g.ms(2, 8)), c)
		}
	}
	if out == failed {
		t = t.Add(g.ms(1, 4))
		parse := s.span(reviewer, semconv.KindTask, "parse_review", t)
		entity(parse, semconv.EntityInput, review[:min(len(review), 60)])
		f := failure{typ: "*json.SyntaxError", msg: "invalid character '`' looking for beginning of value"}
		t = fail(parse, t.Add(g.ms(1, 3)), f)
		t = fail(reviewer, t.Add(g.ms(1, 3)), f)
		t = fail(wf, t.Add(g.ms(1, 3)), f)
		s.end(t.Add(g.ms(2, 10)), semconv.EndStateFailure, f.msg)
		return s
	}
	t = finish(reviewer, t.Add(g.ms(1, 5)), review)

	t = t.Add(g.ms(2, 8))
	post := s.span(wf, semconv.KindTool, "github_create_review", t)
	entity(post, semconv.EntityInput, map[string]any{"number": num, "event": verdictEvent(findings), "comments": findings})
	t = finish(post, t.Add(g.ms(250, 900)), map[string]any{"id": 2000000000 + g.rng.IntN(99999999), "state": verdictEvent(findings)})
	t = finish(wf, t.Add(g.ms(1, 4)), map[string]any{"verdict": verdict(findings)})
	if out == abandoned {
		s.end(t.Add(g.ms(2, 20)), semconv.EndStateIndeterminate, "CI job cancelled by a newer push")
		return s
	}
	s.end(t.Add(g.ms(2, 20)), semconv.EndStateSuccess, "")
	return s
}

func verdict(findings int) string {
	if findings == 0 {
		return "approve"
	}
	return "changes_requested"
}

func verdictEvent(findings int) string {
	if findings == 0 {
		return "APPROVE"
	}
	return "REQUEST_CHANGES"
}

// ---- data enrichment pipeline ---------------------------------------------

// The pipeline is a Python program: its sessions come in the official
// Python SDK's dialect.
var pipelineSvc = service{name: "enrichment-pipeline", version: "3.1.0", env: "prod", hosts: []string{"etl-batch-01"}, cwd: "/opt/pipelines", python: true}

var datasets = []string{"product_reviews", "support_tickets", "crm_accounts", "app_store_feedback"}

func (g *gen) pipeline(p plan) *session {
	ds := pick(g, datasets)
	s := g.newSession(pipelineSvc, "data-pipeline", p.start)
	s.tags = []string{"etl", "nightly", "dataset:" + ds}
	out := g.outcome(p)
	batches := 3 + g.rng.IntN(6)
	batchSize := 50
	rows := batches * batchSize

	t := p.start.Add(g.ms(2, 20))
	wf := s.span(s.root, semconv.KindWorkflow, "enrich_dataset", t)
	entity(wf, semconv.EntityInput, map[string]any{"dataset": ds, "batch_size": batchSize})

	t = t.Add(g.ms(1, 6))
	extract := s.span(wf, semconv.KindTask, "extract", t)
	t = t.Add(g.ms(1, 4))
	q := s.span(extract, semconv.KindTool, "sql_query", t)
	query := fmt.Sprintf("SELECT id, body FROM %s WHERE enriched_at IS NULL ORDER BY id LIMIT %d", ds, rows)
	entity(q, semconv.EntityInput, map[string]any{"query": query})
	if out == failed {
		f := failure{typ: "psycopg.errors.QueryCanceled", msg: "canceling statement due to statement timeout", stack: pythonStack}
		t = fail(q, t.Add(30*time.Second), f)
		t = fail(extract, t.Add(g.ms(1, 3)), f)
		t = fail(wf, t.Add(g.ms(1, 3)), f)
		s.end(t.Add(g.ms(2, 10)), semconv.EndStateFailure, f.msg)
		return s
	}
	t = finish(q, t.Add(g.ms(300, 2400)), map[string]any{"rows": rows})
	t = finish(extract, t.Add(g.ms(1, 4)), map[string]any{"rows": rows})

	t = t.Add(g.ms(2, 8))
	classify := s.span(wf, semconv.KindTask, "classify", t)
	entity(classify, semconv.EntityInput, map[string]any{"batches": batches})
	labels := []string{"praise", "bug", "pricing", "feature_request", "churn_risk"}
	for b := range batches {
		t = t.Add(g.ms(5, 40))
		in := int64(batchSize) * g.tokens(60, 140)
		var sb strings.Builder
		sb.WriteString("[")
		for i := range batchSize {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"id":%d,"label":%q}`, b*batchSize+i+1, pick(g, labels))
		}
		sb.WriteString("]")
		t = s.llm(classify, t, call{
			model: geminiFlash, temperature: 0, maxTokens: 4096,
			prompt: []message{
				{role: "system", content: "Label each record with one of: " + strings.Join(labels, ", ") + ". Answer with a JSON list of {id, label}."},
				{role: "user", content: fmt.Sprintf("<%d records from %s, batch %d of %d>", batchSize, ds, b+1, batches)},
			},
			reply: message{role: "model", content: sb.String(), finish: "STOP"},
			input: in, cacheRead: cachedShare(g, in, 1024),
		})
	}
	t = t.Add(g.ms(5, 30))
	in := int64(rows) * g.tokens(60, 140)
	t = s.llm(classify, t, call{model: embedSmall, prompt: []message{{role: "user", content: fmt.Sprintf("<%d records from %s>", rows, ds)}}, input: in})
	t = finish(classify, t.Add(g.ms(1, 5)), map[string]any{"labelled": rows, "embedded": rows})

	t = t.Add(g.ms(2, 8))
	load := s.span(wf, semconv.KindTask, "load", t)
	t = t.Add(g.ms(1, 4))
	w := s.span(load, semconv.KindTool, "warehouse_write", t)
	entity(w, semconv.EntityInput, map[string]any{"table": "analytics." + ds + "_enriched", "rows": rows})
	t = finish(w, t.Add(g.ms(400, 3000)), map[string]any{"written": rows})
	t = finish(load, t.Add(g.ms(1, 4)), map[string]any{"rows": rows})
	t = finish(wf, t.Add(g.ms(1, 4)), map[string]any{"rows": rows, "batches": batches})
	if out == abandoned {
		s.end(t.Add(g.ms(2, 20)), semconv.EndStateIndeterminate, "worker pod evicted before the run was marked complete")
		return s
	}
	s.end(t.Add(g.ms(2, 20)), semconv.EndStateSuccess, "")
	return s
}

const pythonStack = `Traceback (most recent call last):
  File "/opt/pipelines/.venv/lib/python3.12/site-packages/agentops/sdk/decorators/factory.py", line 171, in wrapper
    result = wrapped_func(*args, **kwargs)
  File "/opt/pipelines/enrich/extract.py", line 42, in sql_query
    cur.execute(query)
  File "/opt/pipelines/.venv/lib/python3.12/site-packages/psycopg/cursor.py", line 97, in execute
    raise ex.with_traceback(None)
psycopg.errors.QueryCanceled: canceling statement due to statement timeout`

// ---- batch evaluation (the big session) -----------------------------------

var evalSvc = service{name: "eval-runner", version: "0.4.0", env: "staging", hosts: []string{"eval-box-1"}, cwd: "/srv/evals"}

// bigStep is the time one evaluation case takes: short enough that a run
// of any size fits well inside a day.
func bigStep(spans int) time.Duration {
	return min(1500*time.Millisecond, 6*time.Hour/time.Duration(max(spans/3, 1)))
}

// bigDuration bounds how long the big session of spans spans lasts.
func bigDuration(spans int) time.Duration {
	return time.Duration(spans/3+2)*bigStep(spans) + time.Minute
}

func (g *gen) evaluation(p plan) *session {
	s := g.newSession(evalSvc, "batch-evaluation", p.start)
	s.tags = []string{"eval", "staging", "big"}
	step := bigStep(p.big)
	t := p.start.Add(g.ms(2, 20))
	wf := s.span(s.root, semconv.KindWorkflow, "evaluate", t)
	entity(wf, semconv.EntityInput, map[string]any{"suite": "support-replies-v3"})
	left := p.big - 2 // the root and the workflow
	for i := 0; left > 0; i++ {
		caseStart := t
		if left < 3 { // fill up with single checks
			sp := s.span(wf, semconv.KindTool, "score", t)
			t = finish(sp, t.Add(step/4), map[string]any{"case": i, "score": g.rng.IntN(6)})
			left--
			continue
		}
		task := s.span(wf, semconv.KindTask, "case", t)
		entity(task, semconv.EntityInput, map[string]any{"case": i})
		t = s.llm(task, t.Add(step/50), call{
			model: gpt4oMini, temperature: 0, maxTokens: 200,
			prompt: []message{{role: "user", content: fmt.Sprintf("Case %d: reply to the customer.", i)}},
			reply:  message{role: "assistant", content: "Thanks, here is how to fix it…", finish: "stop"},
			input:  g.tokens(150, 300),
		})
		t = latest(t, caseStart.Add(step/2))
		sc := s.span(task, semconv.KindTool, "score", t)
		t = finish(sc, t.Add(step/10), map[string]any{"score": g.rng.IntN(6)})
		t = finish(task, latest(t, caseStart.Add(step*9/10)), nil)
		t = latest(t, caseStart.Add(step))
		left -= 3
	}
	t = finish(wf, t.Add(g.ms(1, 5)), map[string]any{"cases": p.big / 3})
	s.end(t.Add(g.ms(2, 20)), semconv.EndStateSuccess, "")
	return s
}

// ---- helpers ---------------------------------------------------------------

// cachedShare draws how much of a prompt of in tokens was read from the
// provider's cache: none half the time, else a prefix of at least min
// tokens (providers only cache long prefixes).
func cachedShare(g *gen, in, min int64) int64 {
	if in < min+64 || chance(g, 0.5) {
		return 0
	}
	return g.tokens(min, in-64) / 128 * 128
}

// stopReason is the finish reason of a normal answer in the provider's words.
func stopReason(m llmModel) string {
	switch m.provider {
	case "anthropic":
		return "end_turn"
	case "gcp.gemini":
		return "STOP"
	}
	return "stop"
}

func urls(rs []map[string]string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r["url"]
	}
	return out
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func slug(s string, n int) string {
	return strings.ReplaceAll(strings.ToLower(s), " ", "-") + fmt.Sprintf("-%d", n+1)
}
