package legacy

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/agentops-go/agentops/internal/model"
)

// spanIDOf derives the span id of a legacy record from its kind and id: the
// same record always gets the same span, so a repeat is recognized.
func spanIDOf(kind, id string) model.SpanID {
	h := sha256.Sum256([]byte("agentops-legacy/" + kind + "/" + strings.ToLower(strings.TrimSpace(id))))
	var s model.SpanID
	copy(s[:], h[:8])
	if s.IsZero() { // an all-zero span id is invalid in OTLP
		s[7] = 1
	}
	return s
}

// rootSpanID is the span id of a session's root span.
func rootSpanID(session model.TraceID) model.SpanID { return spanIDOf("session", session.String()) }

// timeLayouts are the timestamp forms the legacy SDKs send: Python's
// isoformat() of an aware UTC datetime ("2024-05-01T12:00:00.123456+00:00"),
// a "Z" suffix, or a naive datetime (read as UTC).
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// parseTime reads a timestamp; "" and null are the zero time.
func parseTime(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q is not an ISO 8601 timestamp", field, v)
}
