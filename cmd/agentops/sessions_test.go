package main

import (
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
)

// TestSessionTextIsPrintable: names, tags and end-state reasons come from
// spans; printed to a terminal, their control characters (escape
// sequences, BEL, C1 CSI, newlines) are shown escaped, never sent raw.
func TestSessionTextIsPrintable(t *testing.T) {
	evil := "run\x1b]0;pwned\x07\nnext line\u009b31m\x7f"
	at := time.Now()
	dir := dataDirWith(t, storedRun{at, model.Span{TraceID: model.TraceID{9}, SpanID: model.SpanID{1}, Name: evil, Kind: "session",
		Start: at.UnixNano(), End: at.UnixNano() + 1e9, Tags: []string{evil}, EndState: "Failure", EndStateReason: evil}})
	list := mustCLI(t, "sessions", "list", "--data", dir).stdout
	show := mustCLI(t, "sessions", "show", model.TraceID{9}.String(), "--data", dir).stdout
	for name, out := range map[string]string{"list": list, "show": show} {
		if strings.ContainsAny(out, "\x1b\x07\x7f\u009b") {
			t.Errorf("sessions %s printed a control character raw:\n%q", name, out)
		}
		if !strings.Contains(out, `run\x1b]0;pwned\x07\x0anext`) {
			t.Errorf("sessions %s does not show the name escaped:\n%s", name, out)
		}
	}
	if strings.Count(list, "\n") != 2 {
		t.Errorf("a newline in a name split the table:\n%s", list)
	}
}
