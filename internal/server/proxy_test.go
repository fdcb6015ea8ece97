package server

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestForwardedClient(t *testing.T) {
	ps, err := parseProxies("10.0.0.0/8, 192.168.1.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		xff  []string
		want string // "" for none
	}{
		{[]string{"203.0.113.5"}, "203.0.113.5"},
		{[]string{"203.0.113.5, 10.1.2.3"}, "203.0.113.5"},               // through two proxies
		{[]string{"198.51.100.9, 203.0.113.5, 10.1.2.3"}, "203.0.113.5"}, // the left-most is the client's claim: not believed
		{[]string{"203.0.113.5", "192.168.1.7"}, "203.0.113.5"},          // two header lines
		{[]string{"10.1.1.1, 192.168.1.7"}, "10.1.1.1"},                  // every hop a proxy: the left-most
		{[]string{"garbage, 203.0.113.5"}, "203.0.113.5"},                // garbage left of the client does not matter
		{[]string{"203.0.113.5, garbage, 10.1.2.3"}, "10.1.2.3"},         // garbage between proxies: nothing believed past it
		{[]string{"::ffff:203.0.113.5"}, "203.0.113.5"},
		{nil, ""},
	} {
		got, ok := ps.client(c.xff)
		if (c.want == "") != !ok || (ok && got != netip.MustParseAddr(c.want)) {
			t.Errorf("X-Forwarded-For %q: %v %v, want %q", c.xff, got, ok, c.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", "1.2.3"} {
		if _, err := parseProxies(bad); err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
			t.Errorf("parseProxies(%q): %v", bad, err)
		}
	}
}

// TestTrustedProxies: behind a proxy the server trusts, the dashboard's
// login rate limit counts each client (X-Forwarded-For) apart and a login
// made over the proxy's HTTPS (X-Forwarded-Proto) gets Secure cookies;
// from a peer it does not trust, those headers change nothing.
func TestTrustedProxies(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		ts := startServer(t, func(c *Config) {
			if trusted {
				c.TrustedProxies = "127.0.0.0/8,::1"
			}
		})
		login := func(client string) *http.Response {
			req, _ := http.NewRequest("POST", ts.URL+"/login", strings.NewReader(url.Values{"api_key": {"wrong"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", client)
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		for range 10 { // the default burst
			login("203.0.113.5")
		}
		if got := login("203.0.113.5").StatusCode; got != http.StatusTooManyRequests {
			t.Errorf("trusted %v: 11th attempt of one client: %d, want 429", trusted, got)
		}
		other := login("203.0.113.6").StatusCode
		if trusted && other == http.StatusTooManyRequests {
			t.Error("behind a trusted proxy, another client is refused with the first one's budget")
		}
		if !trusted && other != http.StatusTooManyRequests {
			t.Errorf("from an untrusted peer, X-Forwarded-For made a new budget: %d", other)
		}

		req, _ := http.NewRequest("GET", ts.URL+"/login", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		secure := false
		for _, c := range resp.Cookies() {
			secure = secure || (c.Name == "agentops_prelogin" && c.Secure)
		}
		if secure != trusted {
			t.Errorf("trusted %v: X-Forwarded-Proto https gives a Secure cookie: %v", trusted, secure)
		}
	}
}
