package api

import (
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/semconv"
)

// SpanDetail is everything the dashboard shows of one span: the span as
// the export gives it, and for an LLM call its prompt and completion as
// messages, for a tool call its name, input and output. It reads the same
// attributes as Export.
type SpanDetail struct {
	Span       Span
	Prompt     []Message // LLM calls only; [] when the span carries none
	Completion []Message
	Tool       *ToolCall // tool calls only
	Action     *Action   // actions only
}

// Detail returns a span's SpanDetail.
func Detail(sp *model.Span) SpanDetail {
	d := SpanDetail{Span: spanOf(sp)}
	attrs := parseAttributes(sp.Attributes)
	switch sp.Kind {
	case semconv.KindLLM:
		d.Prompt = messages(attrs, sp.Events, promptSide)
		d.Completion = messages(attrs, sp.Events, completionSide)
	case semconv.KindTool:
		t := toolOf(sp, attrs)
		d.Tool = &t
	case semconv.KindAction:
		a := actionOf(sp, attrs)
		d.Action = &a
	}
	return d
}

// StateOf is a session's end state and times as shown at now (see Stats).
func StateOf(s *model.Session, now time.Time, timeout time.Duration) SessionState {
	return stateOf(s, now, orDefault(timeout))
}
