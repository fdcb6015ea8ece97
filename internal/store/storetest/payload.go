package storetest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/semconv"
)

// Payload makes a realistic GenAI ingest payload for benchmarks: traces
// traces of spansPerTrace spans each (a session root, agents, tools and LLM
// calls), with about a dozen attributes per span including a ~300 character
// prompt and completion, about 1.1 KB per span as OTLP protobuf. Every
// trace id is new; r drives the content, base is the first start time.
func Payload(r *rand.Rand, projectID string, traces, spansPerTrace int, base int64) []model.Span {
	resource := mustJSON(map[string]any{
		"service.name": "support-agent", "service.version": "1.4.2",
		"telemetry.sdk.language": "python", "telemetry.sdk.name": "agentops", "telemetry.sdk.version": "0.4.9",
		"host.name": "worker-7f9c", "os.type": "linux",
	})
	scope := mustJSON(map[string]any{"name": "agentops", "version": "0.4.9"})
	spans := make([]model.Span, 0, traces*spansPerTrace)
	for range traces {
		var trace model.TraceID
		binary.BigEndian.PutUint64(trace[:8], r.Uint64())
		binary.BigEndian.PutUint64(trace[8:], r.Uint64())
		root := newSpanID(r)
		start := base + r.Int64N(1e9)
		for i := range spansPerTrace {
			sp := model.Span{
				ProjectID: projectID, TraceID: trace, SpanID: newSpanID(r),
				SpanKind: 1, Start: start + int64(i)*3_000_000, Status: model.StatusOK,
				Resource: resource, Scope: scope,
			}
			sp.End = sp.Start + 2_000_000 + r.Int64N(1e9)
			attrs := map[string]any{}
			switch {
			case i == 0:
				sp.SpanID = root
				sp.Name, sp.Kind = "customer-support.session", semconv.KindSession
				sp.Tags = []string{"prod", "support"}
				sp.End = sp.Start + int64(spansPerTrace+1)*3_000_000
				attrs[semconv.SpanKind] = semconv.KindSession
				attrs[semconv.Tags] = `["prod","support"]`
				attrs["host.name"] = "worker-7f9c"
			case i%3 == 1:
				sp.ParentID = root
				sp.Name, sp.Kind, sp.SpanKind = "openai.chat", semconv.KindLLM, 3
				sp.Provider, sp.Operation, sp.RequestModel, sp.ResponseModel = "openai", "chat", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"
				sp.Usage = model.Usage{Input: 400 + r.Int64N(2000), Output: 50 + r.Int64N(500)}
				sp.Usage.Total = sp.Usage.Input + sp.Usage.Output
				sp.Cost, sp.CostSource = float64(sp.Usage.Input)*1.5e-7+float64(sp.Usage.Output)*6e-7, model.CostTable
				attrs[semconv.SpanKind] = semconv.KindLLM
				attrs["gen_ai.system"] = "openai"
				attrs["gen_ai.request.model"] = sp.RequestModel
				attrs["gen_ai.response.model"] = sp.ResponseModel
				attrs["gen_ai.request.temperature"] = 0.2
				attrs["gen_ai.usage.prompt_tokens"] = sp.Usage.Input
				attrs["gen_ai.usage.completion_tokens"] = sp.Usage.Output
				attrs["gen_ai.prompt.0.role"] = "user"
				attrs["gen_ai.prompt.0.content"] = text(r, 300)
				attrs["gen_ai.completion.0.role"] = "assistant"
				attrs["gen_ai.completion.0.content"] = text(r, 300)
				attrs["gen_ai.completion.0.finish_reason"] = "stop"
			case i%3 == 2:
				sp.ParentID = root
				sp.Name, sp.Kind = "lookup_order.tool", semconv.KindTool
				attrs[semconv.SpanKind] = semconv.KindTool
				attrs[semconv.OperationName] = "lookup_order"
				attrs[semconv.EntityInput] = fmt.Sprintf(`{"order_id":"%d","query":%q}`, r.Int64N(1e9), text(r, 200))
				attrs[semconv.EntityOutput] = text(r, 300)
			default:
				sp.ParentID = root
				sp.Name, sp.Kind = "triage.agent", semconv.KindAgent
				attrs[semconv.SpanKind] = semconv.KindAgent
				attrs["agent.name"] = "triage"
				attrs["agent.instructions"] = text(r, 300)
				attrs["agent.tools"] = `["lookup_order","refund","escalate"]`
			}
			attrs["thread.id"] = r.Int64N(1 << 20)
			sp.Attributes = mustJSON(attrs)
			spans = append(spans, sp)
		}
	}
	return spans
}

var words = strings.Fields(`the a customer order refund shipping delay account password reset invoice
	billing charge card please help thanks agent tool lookup status delivered package warehouse
	tracking number address update cancel subscription plan premium support ticket escalate
	manager policy return window days item damaged replacement photo confirm email phone`)

// text is about n characters of words drawn by r.
func text(r *rand.Rand, n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(words[r.IntN(len(words))])
		if r.IntN(8) == 0 {
			fmt.Fprintf(&sb, " %d", r.IntN(100000))
		}
	}
	return sb.String()
}

func newSpanID(r *rand.Rand) model.SpanID {
	var id model.SpanID
	binary.BigEndian.PutUint64(id[:], r.Uint64()|1)
	return id
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
