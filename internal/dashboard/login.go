package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"sync"
	"time"
)

// Names of the cookies.
const (
	cookieLogin    = "agentops_login"    // the login's token
	cookiePreLogin = "agentops_prelogin" // the CSRF token of the login form, before a login exists
)

// loginTTL is how long a login lasts; it does not slide.
const loginTTL = 12 * time.Hour

// maxLogins bounds the logins kept in memory; beyond, the oldest go first.
const maxLogins = 10_000

// login is one browser's access.
type login struct {
	csrf    string    // fixed at login
	expires time.Time // fixed at login

	mu      sync.Mutex // guards the fields below
	keys    []heldKey  // projects held by API key, in the order added
	all     bool       // logged in with the password: every project
	current string     // the project shown
}

// heldKey is a project reached with an API key. Only the key's hash is
// kept, to look the key up again at every request: a revoked key stops
// working at once.
type heldKey struct {
	hash      []byte
	projectID string
}

// logins is the table of logins, by token.
type logins struct {
	mu sync.Mutex
	m  map[string]*login
}

func (l *logins) get(token string, now time.Time) *login {
	l.mu.Lock()
	defer l.mu.Unlock()
	lg := l.m[token]
	if lg == nil {
		return nil
	}
	if !now.Before(lg.expires) {
		delete(l.m, token)
		return nil
	}
	return lg
}

func (l *logins) add(lg *login, now time.Time) string {
	token := randomToken()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]*login)
	}
	if len(l.m) >= maxLogins {
		var oldest string
		for t, x := range l.m {
			if !now.Before(x.expires) {
				delete(l.m, t)
			} else if oldest == "" || x.expires.Before(l.m[oldest].expires) {
				oldest = t
			}
		}
		if len(l.m) >= maxLogins {
			delete(l.m, oldest)
		}
	}
	l.m[token] = lg
	return token
}

func (l *logins) remove(token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, token)
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("dashboard: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// limiter rate-limits login attempts per client address: burst attempts,
// then one more every interval.
type limiter struct {
	mu       sync.Mutex
	burst    float64
	interval time.Duration
	m        map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, interval time.Duration) *limiter {
	return &limiter{burst: float64(burst), interval: interval, m: make(map[string]*bucket)}
}

// allow takes one attempt for the client of r; false when it has none left.
func (l *limiter) allow(r *http.Request, now time.Time) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100_000 {
		clear(l.m) // bounded memory; a flood of addresses resets everyone's budget
	}
	b := l.m[host]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.m[host] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.interval))
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
