package dashboard

import "testing"

// TestTickLabel: axis labels without the zeros they do not need.
func TestTickLabel(t *testing.T) {
	for in, want := range map[string]string{
		"$0.0250": "$0.025", "$0.2000": "$0.20", "$0.0050": "$0.005", "$0": "$0", "$1.50": "$1.50", "$150": "$150",
		"2.50": "2.5", "4.00": "4", "1,000": "1,000", "2.5k": "2.5k", "0": "0",
	} {
		if got := tickLabel(in); got != want {
			t.Errorf("tickLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDotted: a key breaks after its dots, and stays escaped.
func TestDotted(t *testing.T) {
	if got := string(dotted(`gen_ai.prompt.0.content`)); got != `gen_ai.<wbr>prompt.<wbr>0.<wbr>content` {
		t.Errorf("dotted = %q", got)
	}
	if got := string(dotted(`a<script>.b&"`)); got != `a&lt;script&gt;.<wbr>b&amp;&#34;` {
		t.Errorf("dotted escapes nothing: %q", got)
	}
}
