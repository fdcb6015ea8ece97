package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// TestTerminalText: what a terminal would show, as plain text.
func TestTerminalText(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "hello\nworld\n", "hello\nworld\n"},
		{"colours", "\x1b[31mERROR\x1b[0m: \x1b[1;33mwarn\x1b[m done", "ERROR: warn done"},
		{"cursor moves and erase", "\x1b[2K\x1b[1Gline\x1b[?25l", "line"},
		{"window title (OSC, BEL and ST)", "\x1b]0;title\x07a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "alink"},
		{"charset and two-byte escapes", "\x1b(Bx\x1b7y\x1b8", "xy"},
		{"CRLF", "a\r\nb\r\n", "a\nb\n"},
		{"progress bar keeps its last state", "start\n 10%\r 50%\r100%\nend", "start\n100%\nend"},
		{"trailing CR", "done\r", "done"},
		{"other controls dropped, tab kept", "a\x00b\x07c\td\x7fe\u0085f", "abc\tdef"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"markup stays as is (the template escapes it)", "<script>alert(1)</script>", "<script>alert(1)</script>"},
		{"escape at the end", "x\x1b", "x"},
		{"unterminated CSI", "x\x1b[31", "x"},
	} {
		if got := terminalText(c.in); got != c.want {
			t.Errorf("%s: terminalText(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// TestLogView: the newest uploads that fit, the one crossing the bound cut
// at a line start, older ones left out and the cut said.
func TestLogView(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	logs := []store.Log{
		{At: at, Text: strings.Repeat("old line\n", 10)},
		{At: at.Add(time.Second), Text: strings.Repeat("0123456789\n", 10)}, // 110 bytes
		{At: at.Add(2 * time.Second), Text: "\x1b[32mnewest\x1b[0m\n"},
	}
	v := logView(logs, 1000)
	if v.Truncated || len(v.Uploads) != 3 || v.Total != 3 || v.Uploads[2].Text != "newest\n" || v.Uploads[0].At != at {
		t.Errorf("under the bound: %+v", v)
	}
	v = logView(logs, 7+60)
	if !v.Truncated || len(v.Uploads) != 2 {
		t.Fatalf("over the bound: truncated %v, %d uploads, want 2", v.Truncated, len(v.Uploads))
	}
	if u := v.Uploads[0]; !u.Cut || u.Text != strings.Repeat("0123456789\n", 5) {
		t.Errorf("cut upload: cut %v, text %q", u.Cut, u.Text)
	}
	if v.Uploads[1].Cut || v.Uploads[1].Text != "newest\n" {
		t.Errorf("newest upload: %+v", v.Uploads[1])
	}
	if v.ShownBytes != 7+55 || v.TotalBytes != int64(90+110+len(logs[2].Text)) {
		t.Errorf("sizes: shown %d, total %d", v.ShownBytes, v.TotalBytes)
	}
	// Exactly full: the older uploads are left out and that is said.
	if v := logView(logs, 7); !v.Truncated || len(v.Uploads) != 1 {
		t.Errorf("exactly full: truncated %v, %d uploads", v.Truncated, len(v.Uploads))
	}
	// A cut never splits a character.
	v = logView([]store.Log{{Text: strings.Repeat("é", 100)}}, 51)
	if u := v.Uploads[0].Text; !strings.HasPrefix(u, "é") || len(u) != 50 {
		t.Errorf("cut in a character: %q", u)
	}
	if v := logView(nil, 10); v.Total != 0 || v.Truncated || len(v.Uploads) != 0 {
		t.Errorf("no logs: %+v", v)
	}
}
