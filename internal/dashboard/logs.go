package dashboard

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// maxLogBytes bounds the log text one session page shows: the newest
// uploads, and the tail of the one that crosses the bound. The whole text
// stays readable through the REST API (GET /v2/sessions/{id}/logs).
const maxLogBytes = 256 << 10

// logsData is the session page's Logs panel.
type logsData struct {
	Uploads    []logUpload // oldest first, as uploaded
	Total      int         // uploads stored
	TotalBytes int64       // their text's size, as uploaded
	Truncated  bool        // older text left out (Uploads hold the tail)
	ShownBytes int64
}

type logUpload struct {
	At   time.Time
	Text string // terminal control sequences removed; escaped by the template
	Cut  bool   // the beginning of this upload is left out
}

// sessionLogs reads a session's uploads for the Logs panel, of the
// viewer's current project only. A store that keeps no logs gives none.
func (d *Dashboard) sessionLogs(ctx context.Context, projectID string, id model.TraceID) (logsData, error) {
	if d.logs == nil {
		return logsData{}, nil
	}
	logs, err := d.logs.Logs(ctx, projectID, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return logsData{}, err
	}
	return logView(logs, maxLogBytes), nil
}

// logView keeps the newest uploads that fit in limit bytes of cleaned text,
// cutting the oldest one kept at a line start.
func logView(logs []store.Log, limit int) logsData {
	data := logsData{Total: len(logs)}
	for _, l := range logs {
		data.TotalBytes += int64(len(l.Text))
	}
	budget := limit
	var kept []logUpload
	for i := len(logs) - 1; i >= 0; i-- {
		if budget <= 0 {
			data.Truncated = true
			break
		}
		u := logUpload{At: logs[i].At, Text: terminalText(logs[i].Text)}
		if len(u.Text) > budget {
			u.Text, u.Cut = tail(u.Text, budget), true
			data.Truncated = true
			kept = append(kept, u)
			break
		}
		budget -= len(u.Text)
		kept = append(kept, u)
	}
	for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
		kept[i], kept[j] = kept[j], kept[i]
	}
	data.Uploads = kept
	for _, u := range kept {
		data.ShownBytes += int64(len(u.Text))
	}
	return data
}

// tail is the end of s in at most n bytes, starting at a line when one
// starts in the second half of it, and at a character in any case.
func tail(s string, n int) string {
	t := s[len(s)-n:]
	if i := strings.IndexByte(t, '\n'); i >= 0 && i < n/2 {
		return t[i+1:]
	}
	for len(t) > 0 && !utf8.RuneStart(t[0]) {
		t = t[1:]
	}
	return t
}

// terminalText is what a terminal would show of a captured output, as
// plain text: ANSI escape sequences (colours, cursor moves, titles) are
// removed, a carriage return overwrites its line (progress bars keep
// their last state), other control characters but tab and newline are
// dropped, and invalid UTF-8 is replaced.
func terminalText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	b := make([]byte, 0, len(s))
	lineStart := 0 // in b, where the current line begins
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEscape(s, i)
			continue
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
				continue
			}
			// A lone CR: what follows overwrites the line.
			if rest := s[i+1:]; len(rest) > 0 && rest[0] != '\r' {
				b = b[:lineStart]
			}
			i++
			continue
		case c == '\n':
			b = append(b, '\n')
			lineStart = len(b)
			i++
			continue
		case c == '\t':
			b = append(b, c)
			i++
			continue
		case c < 0x20 || c == 0x7f:
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x80 && r < 0xa0 { // C1 controls
			i += size
			continue
		}
		b = append(b, s[i:i+size]...)
		i += size
	}
	return string(b)
}

// skipEscape returns the index after the escape sequence at s[i] (ESC).
func skipEscape(s string, i int) int {
	i++
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: parameters and intermediates, then a final byte @..~
		for i++; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return i
	case ']', 'P', '_', '^', 'X': // OSC, DCS...: up to BEL or ESC \
		for i++; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return i
	case '(', ')', '*', '+', '#', '%': // character set and line size: one more byte
		return min(i+2, len(s))
	}
	return i + 1 // a two-byte sequence (ESC 7, ESC M, ...)
}
