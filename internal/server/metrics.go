package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, served at GET /metrics.
type metrics struct {
	accepted   prometheus.Counter
	rejected   *prometheus.CounterVec // spans, by reason
	requests   *prometheus.CounterVec // OTLP requests refused, by reason
	latency    *prometheus.HistogramVec
	grpc       *prometheus.HistogramVec // gRPC request latency, by method and status code
	batchSpans prometheus.Histogram
	batchReqs  prometheus.Histogram
	commit     *prometheus.HistogramVec
	queue      prometheus.Gauge
	pruned     prometheus.Counter
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentops_spans_accepted_total", Help: "Spans committed to the store.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentops_spans_rejected_total", Help: "Spans refused inside accepted requests (partial_success), by reason.",
		}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agentops_otlp_requests_rejected_total", Help: "OTLP requests refused as a whole, by reason.",
		}, []string{"reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "agentops_http_request_duration_seconds", Help: "HTTP request latency, by route and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
		grpc: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "agentops_grpc_request_duration_seconds", Help: "OTLP/gRPC request latency, by method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "code"}),
		batchSpans: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "agentops_commit_batch_spans", Help: "Spans per group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}),
		batchReqs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "agentops_commit_batch_requests", Help: "Requests sharing one group-commit transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "agentops_commit_duration_seconds", Help: "Duration of a group-commit transaction, by result.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"result"}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "agentops_ingest_queue_spans", Help: "Spans accepted and waiting for their commit.",
		}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentops_sessions_pruned_total", Help: "Sessions deleted by --retention.",
		}),
	}
	reg.MustRegister(m.accepted, m.rejected, m.requests, m.latency, m.grpc, m.batchSpans, m.batchReqs, m.commit, m.queue, m.pruned,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Committed implements ingest.Observer.
func (m *metrics) Committed(spans, requests int, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.commit.WithLabelValues(result).Observe(took.Seconds())
	m.batchSpans.Observe(float64(spans))
	m.batchReqs.Observe(float64(requests))
}

// QueueDepth implements ingest.Observer.
func (m *metrics) QueueDepth(spans int64) { m.queue.Set(float64(spans)) }

func (m *metrics) spansAccepted(n int) { m.accepted.Add(float64(n)) }

func (m *metrics) spansRejected(reason string, n int) {
	if n > 0 {
		m.rejected.WithLabelValues(reason).Add(float64(n))
	}
}

func (m *metrics) rejectRequest(reason string) { m.requests.WithLabelValues(reason).Inc() }

// instrument records every request's latency under a bounded route label.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.latency.WithLabelValues(routeOf(r.URL.Path), strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

func routeOf(path string) string {
	for _, p := range []string{"/v1/traces", "/v1/metrics", "/v4/logs/upload", "/v2/create_session", "/v2/update_session", "/v2/create_events", "/v2/update_events", "/v2/create_agent", "/v2/reauthorize_jwt", "/v2/developer_errors", "/v3/auth/token", "/v2/sessions", "/public/v1", "/healthz", "/readyz", "/metrics"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return p
		}
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
