package ingest

import (
	"context"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/otlp"
)

// Pipeline turns one decoded OTLP request into durable spans: normalize,
// price, group-commit.
type Pipeline struct {
	committer *Committer
	pricer    *Pricer
	limits    otlp.Limits
}

// NewPipeline wires the stages; it owns none of them.
func NewPipeline(c *Committer, p *Pricer, lim otlp.Limits) *Pipeline {
	return &Pipeline{committer: c, pricer: p, limits: lim}
}

// Result is what a request achieved.
type Result struct {
	Accepted int
	Rejected otlp.Rejection
}

// Export ingests td for projectID. It returns nil only once every accepted
// span is durable; rejected spans (malformed ids) are reported in Result and
// do not fail the rest.
func (p *Pipeline) Export(ctx context.Context, projectID string, td ptrace.Traces) (Result, error) {
	spans, rej := otlp.Normalize(td, projectID, p.limits)
	res := Result{Accepted: len(spans), Rejected: rej}
	if len(spans) == 0 {
		return res, nil
	}
	p.pricer.Price(ctx, projectID, spans)
	if err := p.committer.Submit(ctx, spans); err != nil {
		return Result{Rejected: rej}, err
	}
	return res, nil
}
