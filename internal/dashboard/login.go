package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// Names of the cookies.
const (
	cookieLogin    = "agentops_login"    // the login's token
	cookiePreLogin = "agentops_prelogin" // the CSRF token of the login form, before a login exists
)

// loginTTL is how long a login lasts; it does not slide.
const loginTTL = 12 * time.Hour

// maxLogins bounds the logins kept in memory; beyond, the oldest go first
// (a stored login comes back from the store at its next request).
const maxLogins = 10_000

// login is one browser's access.
type login struct {
	token   string    // the cookie's value; in memory only, never stored
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

// logins is the table of logins, by token, in memory and, when the store
// keeps logins (store.Logins), in the store as well, so that a restart
// does not log anyone out. The store has the token's SHA-256, never the
// token. A login by password is stored with an HMAC of the password keyed
// by the token: it comes back from the store only while the server's
// password is the same (and the database gives no way to test guesses at
// the password without the cookie).
type logins struct {
	db       store.Logins // nil: in memory only
	password string       // the dashboard's password now
	log      *slog.Logger

	mu sync.Mutex
	m  map[string]*login
}

// storedLogin is a login as kept in store.Login.Data.
type storedLogin struct {
	CSRF        string      `json:"csrf"`
	All         bool        `json:"all,omitempty"`
	PasswordMAC []byte      `json:"password_mac,omitempty"`
	Current     string      `json:"current,omitempty"`
	Keys        []storedKey `json:"keys,omitempty"`
}

type storedKey struct {
	Hash      []byte `json:"hash"`
	ProjectID string `json:"project_id"`
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func passwordMAC(token, password string) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(password))
	return m.Sum(nil)
}

func (l *logins) get(ctx context.Context, token string, now time.Time) *login {
	l.mu.Lock()
	lg := l.m[token]
	if lg != nil && !now.Before(lg.expires) {
		delete(l.m, token)
		lg = nil
	}
	l.mu.Unlock()
	if lg != nil || l.db == nil || token == "" {
		return lg
	}
	lg = l.load(ctx, token, now)
	if lg != nil {
		l.mu.Lock()
		if cur := l.m[token]; cur != nil { // another request loaded it first
			lg = cur
		} else {
			l.put(token, lg, now)
		}
		l.mu.Unlock()
	}
	return lg
}

// load reads a login from the store; nil when it has none, or it is a
// password login and the password changed since.
func (l *logins) load(ctx context.Context, token string, now time.Time) *login {
	sl, err := l.db.Login(ctx, tokenHash(token), now)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			l.log.Error("dashboard: reading a login", "err", err)
		}
		return nil
	}
	var d storedLogin
	if err := json.Unmarshal(sl.Data, &d); err != nil {
		l.log.Error("dashboard: a stored login does not decode; it is dropped", "err", err)
		l.delete(ctx, token)
		return nil
	}
	if d.All && (l.password == "" || !hmac.Equal(d.PasswordMAC, passwordMAC(token, l.password))) {
		l.delete(ctx, token) // the password changed or was removed: that login is over
		return nil
	}
	lg := &login{token: token, csrf: d.CSRF, expires: sl.Expires, all: d.All, current: d.Current}
	for _, k := range d.Keys {
		lg.keys = append(lg.keys, heldKey{hash: k.Hash, projectID: k.ProjectID})
	}
	return lg
}

// save writes lg to the store (after it was created or changed); a
// failure is logged: the login goes on in memory.
func (l *logins) save(ctx context.Context, lg *login, now time.Time) {
	if l.db == nil {
		return
	}
	lg.mu.Lock()
	d := storedLogin{CSRF: lg.csrf, All: lg.all, Current: lg.current}
	for _, k := range lg.keys {
		d.Keys = append(d.Keys, storedKey{Hash: k.hash, ProjectID: k.projectID})
	}
	lg.mu.Unlock()
	if d.All {
		d.PasswordMAC = passwordMAC(lg.token, l.password)
	}
	data, err := json.Marshal(d)
	if err == nil {
		err = l.db.PutLogin(ctx, store.Login{TokenHash: tokenHash(lg.token), Expires: lg.expires, Data: data}, now)
	}
	if err != nil {
		l.log.Error("dashboard: storing a login (it lasts until the server restarts)", "err", err)
	}
}

func (l *logins) delete(ctx context.Context, token string) {
	if err := l.db.DeleteLogin(ctx, tokenHash(token)); err != nil {
		l.log.Error("dashboard: deleting a login", "err", err)
	}
}

// add gives lg a new token, keeps it and returns the token.
func (l *logins) add(ctx context.Context, lg *login, now time.Time) string {
	token := randomToken()
	lg.token = token
	l.mu.Lock()
	l.put(token, lg, now)
	l.mu.Unlock()
	l.save(ctx, lg, now)
	return token
}

// put keeps lg in memory under token; l.mu is held.
func (l *logins) put(token string, lg *login, now time.Time) {
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
}

func (l *logins) remove(ctx context.Context, token string) {
	l.mu.Lock()
	delete(l.m, token)
	l.mu.Unlock()
	if l.db != nil && token != "" {
		l.delete(ctx, token)
	}
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
