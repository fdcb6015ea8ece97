package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the networks whose X-Forwarded-For and X-Forwarded-Proto the
// server believes (--trusted-proxies): a TLS-terminating reverse proxy in
// front of it. From any other peer those headers are ignored, so a client
// cannot pretend to be another address or to have come over TLS.
type proxies []netip.Prefix

// parseProxies reads a comma-separated list of CIDR prefixes or addresses.
func parseProxies(s string) (proxies, error) {
	var ps proxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is neither an address nor a CIDR prefix like 10.0.0.0/8", f)
			}
			ps = append(ps, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is not a CIDR prefix like 10.0.0.0/8", f)
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

func (ps proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwarded applies a trusted proxy's headers to the request: RemoteAddr
// becomes the client's address — the right-most address of
// X-Forwarded-For that is not itself a trusted proxy — and a request the
// proxy received over HTTPS (X-Forwarded-Proto: https) is marked as TLS,
// so that the dashboard's login rate limit counts each client apart and
// its cookies are Secure. Requests from other peers pass unchanged.
func (ps proxies) forwarded(next http.Handler) http.Handler {
	if len(ps) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !ps.trusts(peer.Addr()) {
			next.ServeHTTP(w, r)
			return
		}
		r2 := r.WithContext(r.Context()) // a shallow copy: only RemoteAddr and TLS change
		if client, ok := ps.client(r.Header.Values("X-Forwarded-For")); ok {
			r2.RemoteAddr = net.JoinHostPort(client.String(), "0")
		}
		if strings.EqualFold(strings.TrimSpace(firstValue(r.Header.Get("X-Forwarded-Proto"))), "https") && r2.TLS == nil {
			r2.TLS = &tls.ConnectionState{} // the client's connection, to the proxy, was TLS
		}
		next.ServeHTTP(w, r2)
	})
}

// client walks X-Forwarded-For from the right (the hop nearest the
// server) past the trusted proxies to the first address that is not one.
func (ps proxies) client(headers []string) (netip.Addr, bool) {
	var hops []string
	for _, h := range headers {
		hops = append(hops, strings.Split(h, ",")...)
	}
	var last netip.Addr
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return last, last.IsValid() // a malformed hop: trust nothing left of it
		}
		last = a.Unmap()
		if !ps.trusts(last) {
			return last, true
		}
	}
	return last, last.IsValid() // every hop a proxy: the left-most
}

func firstValue(s string) string {
	if i := strings.IndexByte(s, ','); i >= 0 {
		return s[:i]
	}
	return s
}
