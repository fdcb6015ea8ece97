package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentops-go/agentops/internal/format"
)

// writeText writes the human-readable report.
func writeText(w io.Writer, r *Result) error {
	var b strings.Builder
	mode := string(r.Encoding)
	if r.Gzip {
		mode += "+gzip"
	}
	ids := "unique ids"
	if !r.UniqueIDs {
		ids = "ids repeat every pool cycle"
	}
	fmt.Fprintf(&b, "target      %s (%s, %d connections, %d spans in %d traces per request, %s)\n",
		r.Endpoint, mode, r.Connections, r.SpansPerRequest, r.TracesPerRequest, ids)
	elapsed := fmt.Sprintf("%.2fs measured", r.Elapsed.Seconds())
	if r.Interrupted {
		elapsed += ", interrupted"
	}
	fmt.Fprintf(&b, "run         %s\n", elapsed)
	fmt.Fprintf(&b, "requests    %s sent, %s ok", format.Thousands(r.Requests), format.Thousands(r.OK))
	if errs := errorSummary(r); errs != "" {
		b.WriteString(", " + errs)
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "spans       %s sent, %s accepted, %s rejected by partial success\n",
		format.Thousands(r.SpansSent), format.Thousands(r.SpansAccepted), format.Thousands(r.SpansRejected))
	fmt.Fprintf(&b, "throughput  %s spans/s accepted, %.1f requests/s, %.1f MB/s on the wire\n",
		format.Thousands(int64(r.SpansPerSecond+0.5)), r.RequestsPerSecond, r.MBPerSecond)
	size := fmt.Sprintf("%.0f bytes/span on the wire", r.BytesPerSpan)
	if r.Gzip {
		size += fmt.Sprintf(" (%.0f before gzip)", r.RawBytesPerSpan)
	}
	fmt.Fprintf(&b, "size        %s, %s/request\n", size, formatBytes(r.BytesPerSpan*float64(r.SpansPerRequest)))
	l := r.Latency
	fmt.Fprintf(&b, "latency     p50 %s, p90 %s, p99 %s, max %s\n", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
	if r.Backoff > 0 {
		fmt.Fprintf(&b, "backoff     %s summed over workers\n", r.Backoff.Round(time.Millisecond))
	}
	if r.BadResponses > 0 {
		fmt.Fprintf(&b, "warning     %s 2xx responses were not OTLP; their spans count as accepted\n", format.Thousands(r.BadResponses))
	}
	if r.LastTransportError != "" {
		fmt.Fprintf(&b, "last error  %s\n", r.LastTransportError)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func errorSummary(r *Result) string {
	var parts []string
	if r.Throttled > 0 {
		parts = append(parts, format.Thousands(r.Throttled)+" × 429")
	}
	if r.Unavailable > 0 {
		parts = append(parts, format.Thousands(r.Unavailable)+" × 503")
	}
	for _, code := range slices.Sorted(maps.Keys(r.Failed)) {
		parts = append(parts, fmt.Sprintf("%s × %d", format.Thousands(r.Failed[code]), code))
	}
	if r.TransportErrors > 0 {
		parts = append(parts, format.Thousands(r.TransportErrors)+" transport errors")
	}
	return strings.Join(parts, ", ")
}

// jsonResult is the --json form of a Result: snake_case, durations in
// milliseconds or seconds as named.
type jsonResult struct {
	Endpoint           string           `json:"endpoint"`
	Encoding           Encoding         `json:"encoding"`
	Gzip               bool             `json:"gzip"`
	UniqueIDs          bool             `json:"unique_ids"`
	Connections        int              `json:"connections"`
	SpansPerRequest    int              `json:"spans_per_request"`
	TracesPerRequest   int              `json:"traces_per_request"`
	ElapsedSeconds     float64          `json:"elapsed_seconds"`
	Interrupted        bool             `json:"interrupted"`
	Requests           int64            `json:"requests"`
	OK                 int64            `json:"ok"`
	Throttled          int64            `json:"throttled_429"`
	Unavailable        int64            `json:"unavailable_503"`
	Failed             map[string]int64 `json:"failed_by_status"`
	TransportErrors    int64            `json:"transport_errors"`
	LastTransportError string           `json:"last_transport_error,omitempty"`
	BadResponses       int64            `json:"bad_responses"`
	BackoffSeconds     float64          `json:"backoff_seconds"`
	SpansSent          int64            `json:"spans_sent"`
	SpansAccepted      int64            `json:"spans_accepted"`
	SpansRejected      int64            `json:"spans_rejected"`
	WireBytes          int64            `json:"wire_bytes"`
	RawBytes           int64            `json:"raw_bytes"`
	SpansPerSecond     float64          `json:"spans_per_second"`
	RequestsPerSecond  float64          `json:"requests_per_second"`
	MBPerSecond        float64          `json:"mb_per_second"`
	BytesPerSpan       float64          `json:"bytes_per_span"`
	RawBytesPerSpan    float64          `json:"raw_bytes_per_span"`
	Latency            jsonLatency      `json:"latency_ms"`
}

type jsonLatency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// writeJSON writes the result as one indented JSON object.
func writeJSON(w io.Writer, r *Result) error {
	failed := make(map[string]int64, len(r.Failed))
	for code, n := range r.Failed {
		failed[strconv.Itoa(code)] = n
	}
	msf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonResult{
		Endpoint:           r.Endpoint,
		Encoding:           r.Encoding,
		Gzip:               r.Gzip,
		UniqueIDs:          r.UniqueIDs,
		Connections:        r.Connections,
		SpansPerRequest:    r.SpansPerRequest,
		TracesPerRequest:   r.TracesPerRequest,
		ElapsedSeconds:     r.Elapsed.Seconds(),
		Interrupted:        r.Interrupted,
		Requests:           r.Requests,
		OK:                 r.OK,
		Throttled:          r.Throttled,
		Unavailable:        r.Unavailable,
		Failed:             failed,
		TransportErrors:    r.TransportErrors,
		LastTransportError: r.LastTransportError,
		BadResponses:       r.BadResponses,
		BackoffSeconds:     r.Backoff.Seconds(),
		SpansSent:          r.SpansSent,
		SpansAccepted:      r.SpansAccepted,
		SpansRejected:      r.SpansRejected,
		WireBytes:          r.WireBytes,
		RawBytes:           r.RawBytes,
		SpansPerSecond:     r.SpansPerSecond,
		RequestsPerSecond:  r.RequestsPerSecond,
		MBPerSecond:        r.MBPerSecond,
		BytesPerSpan:       r.BytesPerSpan,
		RawBytesPerSpan:    r.RawBytesPerSpan,
		Latency:            jsonLatency{P50: msf(r.Latency.P50), P90: msf(r.Latency.P90), P99: msf(r.Latency.P99), Max: msf(r.Latency.Max)},
	})
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}

// formatBytes writes a size in KB or MB (powers of 1000).
func formatBytes(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f KB", n/1e3)
	}
	return fmt.Sprintf("%.0f B", n)
}
