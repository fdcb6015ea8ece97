package loadgen

import (
	"math"
	"slices"
	"time"
)

// Result is what a run measured. Only requests started after the warmup
// count; Requests == OK + Throttled + Unavailable + the sum of Failed +
// TransportErrors.
type Result struct {
	Endpoint         string
	Encoding         Encoding
	Gzip             bool
	UniqueIDs        bool
	Connections      int
	SpansPerRequest  int
	TracesPerRequest int

	Elapsed     time.Duration // from the end of the warmup to the last measured response
	Interrupted bool          // the context was cancelled before the run was over

	Requests           int64         // measured requests that got a response or failed
	OK                 int64         // 2xx responses
	Throttled          int64         // 429 responses
	Unavailable        int64         // 503 responses
	Failed             map[int]int64 // other non-2xx responses, by status
	TransportErrors    int64         // no response: refused, reset, timed out...
	LastTransportError string
	BadResponses       int64         // 2xx whose body was not an OTLP response; counted as fully accepted
	Backoff            time.Duration // summed over workers: pauses after 429, 503 and transport errors

	SpansSent     int64 // in every measured request, answered or not
	SpansAccepted int64 // in 2xx responses, minus their partial_success.rejected_spans
	SpansRejected int64 // partial_success.rejected_spans, summed
	WireBytes     int64 // request bodies as sent (compressed when gzip)
	RawBytes      int64 // request bodies before compression

	SpansPerSecond    float64 // accepted spans per second
	RequestsPerSecond float64
	MBPerSecond       float64 // wire bytes, in 10^6 bytes per second
	BytesPerSpan      float64 // wire bytes per span sent
	RawBytesPerSpan   float64 // encoded bytes per span before compression

	Latency Latency // of requests that got a response, upload included
}

// Latency summarizes request latencies.
type Latency struct {
	P50, P90, P99, Max time.Duration
}

// stats is one worker's tally; workers merge theirs when the run is over.
type stats struct {
	requests, ok, throttled, unavailable int64
	transportErrs, badResponses          int64
	lastTransportErr                     string
	statuses                             map[int]int64
	spansSent, spansAccepted, rejected   int64
	wireBytes, rawBytes                  int64
	latencies                            []time.Duration
	backoff                              time.Duration
	last                                 time.Time
}

func (s *stats) add(r request, o outcome) {
	s.requests++
	s.spansSent += int64(r.spans)
	s.wireBytes += int64(len(r.body))
	s.rawBytes += int64(r.rawLen)
	s.last = o.done
	if o.status == 0 {
		s.transportErrs++
		if o.err != nil {
			s.lastTransportErr = o.err.Error()
		}
		return
	}
	s.latencies = append(s.latencies, o.latency)
	switch {
	case o.status >= 200 && o.status < 300:
		s.ok++
		s.rejected += o.rejected
		s.spansAccepted += int64(r.spans) - o.rejected
		if o.badBody {
			s.badResponses++
		}
	case o.status == 429:
		s.throttled++
	case o.status == 503:
		s.unavailable++
	default:
		s.statuses[o.status]++
	}
}

func (r *runner) result(workers []*worker, p *pool, interrupted bool) Result {
	cfg := r.cfg
	res := Result{
		Endpoint:         r.url,
		Encoding:         cfg.Encoding,
		Gzip:             cfg.Gzip,
		UniqueIDs:        cfg.UniqueIDs,
		Connections:      cfg.Connections,
		SpansPerRequest:  cfg.SpansPerRequest,
		TracesPerRequest: cfg.TracesPerRequest,
		Interrupted:      interrupted,
		Failed:           map[int]int64{},
	}
	var (
		lats []time.Duration
		last time.Time
	)
	for _, w := range workers {
		s := &w.stats
		res.Requests += s.requests
		res.OK += s.ok
		res.Throttled += s.throttled
		res.Unavailable += s.unavailable
		res.TransportErrors += s.transportErrs
		if s.lastTransportErr != "" {
			res.LastTransportError = s.lastTransportErr
		}
		res.BadResponses += s.badResponses
		res.Backoff += s.backoff
		for code, n := range s.statuses {
			res.Failed[code] += n
		}
		res.SpansSent += s.spansSent
		res.SpansAccepted += s.spansAccepted
		res.SpansRejected += s.rejected
		res.WireBytes += s.wireBytes
		res.RawBytes += s.rawBytes
		lats = append(lats, s.latencies...)
		if s.last.After(last) {
			last = s.last
		}
	}
	if interrupted {
		last = time.Now()
	}
	res.Elapsed = max(last.Sub(r.warmupEnd), 0)
	if secs := res.Elapsed.Seconds(); secs > 0 {
		res.SpansPerSecond = float64(res.SpansAccepted) / secs
		res.RequestsPerSecond = float64(res.Requests) / secs
		res.MBPerSecond = float64(res.WireBytes) / secs / 1e6
	}
	if res.SpansSent > 0 {
		res.BytesPerSpan = float64(res.WireBytes) / float64(res.SpansSent)
		res.RawBytesPerSpan = float64(res.RawBytes) / float64(res.SpansSent)
	} else {
		res.RawBytesPerSpan = float64(p.meanRawSize()) / float64(p.spans)
	}
	res.Latency = summarize(lats)
	return res
}

// summarize returns nearest-rank percentiles; it sorts lats.
func summarize(lats []time.Duration) Latency {
	if len(lats) == 0 {
		return Latency{}
	}
	slices.Sort(lats)
	at := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(lats)))) - 1
		return lats[min(max(i, 0), len(lats)-1)]
	}
	return Latency{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: lats[len(lats)-1]}
}
