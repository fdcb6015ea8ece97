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
