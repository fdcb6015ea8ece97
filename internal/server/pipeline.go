package server

import (
	"time"

	"github.com/agentops-go/agentops/internal/ingest"
	"github.com/agentops-go/agentops/internal/otlp"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/pricing"
)

// priceRefresh is how often per-project price overrides are re-read.
const priceRefresh = 5 * time.Second

// NewPipeline builds the ingest path behind POST /v1/traces for cfg: spans
// normalized within cfg's attribute limit, priced from the embedded table
// with prices' per-project overrides, and group-committed to w. It is the
// one place that path is assembled, so that whatever else writes spans
// (`agentops demo --data`) stores exactly what the server would. The caller
// closes the returned committer, after the last Export has returned.
// obs may be nil.
func NewPipeline(cfg Config, w store.SpanWriter, prices store.Prices, obs ingest.Observer) (*ingest.Pipeline, *ingest.Committer) {
	c := ingest.NewCommitter(w, ingest.CommitterConfig{MaxBatchSpans: cfg.MaxBatchSpans, MaxQueuedSpans: cfg.MaxQueuedSpans}, obs)
	p := ingest.NewPricer(pricing.Default(), prices, priceRefresh)
	return ingest.NewPipeline(c, p, otlp.Limits{MaxAttrValueBytes: int(cfg.MaxAttrValueBytes)}), c
}
