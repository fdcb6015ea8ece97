package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the dashboard reads: sessions, the per-day overview,
// projects (for names and the password login's list) and keys (a login's
// keys are looked up again at every request). A Store that also
// implements store.Logs has its uploaded terminal logs shown with each
// session.
type Store interface {
	store.SessionReader
	store.Overviewer
	store.Projects
	store.Keys
}

// Options configures the dashboard.
type Options struct {
	// Password, when set, logs in to every project (in addition to API keys).
	Password string
	// Open shows every project without a login. The server allows it only
	// on a loopback address.
	Open bool
	// SessionTimeout: a session without end state silent this long reads
	// Indeterminate (as in the API).
	SessionTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives store errors (default slog.Default()).
	Logger *slog.Logger
	// LoginBurst and LoginInterval rate-limit login attempts per client
	// address: LoginBurst at once, then one per LoginInterval (defaults 10
	// and 6 s).
	LoginBurst    int
	LoginInterval time.Duration
	// SortWindow bounds a sorted sessions table to the sessions that
	// arrived last (store.SessionQuery.SortWindow), which the page says
	// when older ones exist: default DefaultSortWindow; negative sorts
	// every session (a full read of the project per page).
	SortWindow int
}

// DefaultSortWindow keeps a sorted sessions page of a project of any size
// near 60 ms (docs/PERFORMANCE.md).
const DefaultSortWindow = 100_000

// Dashboard is the dashboard's HTTP handler; Register mounts its routes.
type Dashboard struct {
	st      Store
	logs    store.Logs // nil when the store keeps no uploaded logs
	auth    *auth.Authenticator
	opts    Options
	tmpl    map[string]*template.Template
	logins  logins
	limiter *limiter
	mux     *http.ServeMux
}

// Routes are the path patterns Register mounts (the rest of the server's
// paths stay the API's).
var Routes = []string{"GET /{$}", "/login", "/logout", "/project", "/sessions", "/sessions/", "/traces/", "/static/"}

// New builds the dashboard.
func New(st Store, a *auth.Authenticator, opts Options) (*Dashboard, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = 30 * time.Minute
	}
	if opts.LoginBurst <= 0 {
		opts.LoginBurst = 10
	}
	if opts.LoginInterval <= 0 {
		opts.LoginInterval = 6 * time.Second
	}
	switch {
	case opts.SortWindow == 0:
		opts.SortWindow = DefaultSortWindow
	case opts.SortWindow < 0:
		opts.SortWindow = 0
	}
	d := &Dashboard{st: st, auth: a, opts: opts, limiter: newLimiter(opts.LoginBurst, opts.LoginInterval)}
	d.logs, _ = st.(store.Logs)
	d.logins.db, _ = st.(store.Logins)
	d.logins.password, d.logins.log = opts.Password, opts.Logger
	var err error
	if d.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	m := http.NewServeMux()
	m.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	m.HandleFunc("GET /login", d.loginPage)
	m.HandleFunc("POST /login", d.loginSubmit)
	m.HandleFunc("POST /logout", d.withLogin(d.logout))
	m.HandleFunc("POST /project", d.withLogin(d.switchProject))
	m.HandleFunc("GET /{$}", d.withLogin(d.overview))
	m.HandleFunc("GET /sessions", d.withLogin(d.sessions))
	m.HandleFunc("GET /sessions/{id}", d.withLogin(d.session))
	m.HandleFunc("GET /traces/{id}", d.withLogin(d.session))
	m.HandleFunc("GET /sessions/{id}/spans/{span}", d.withLogin(d.spanDetail))
	m.HandleFunc("GET /sessions/{id}/export", d.withLogin(d.exportJSON))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.errorPage(w, r, nil, http.StatusMethodNotAllowed, "This page does not take "+r.Method+" requests.")
	})
	d.mux = m
	return d, nil
}

// Register mounts the dashboard on mux at Routes.
func (d *Dashboard) Register(mux *http.ServeMux) {
	for _, p := range Routes {
		mux.Handle(p, d)
	}
}

// ServeHTTP sets the security headers and serves the page.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	d.mux.ServeHTTP(w, r)
}

func staticHandler(static fs.FS) http.Handler {
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// viewer is the request's access: the projects it may read and the one shown.
type viewer struct {
	login    *login // nil in open mode
	token    string
	projects []store.Project // readable projects, the current first... in list order
	current  store.Project
	csrf     string
	open     bool
}

// withLogin resolves the request's login (or open mode) and the project
// to show, redirecting to /login when there is none. State-changing
// requests must carry the login's CSRF token.
func (d *Dashboard) withLogin(next func(http.ResponseWriter, *http.Request, *viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := d.viewer(r)
		if err != nil {
			d.errorPage(w, r, nil, http.StatusInternalServerError, "The store could not be read. The server log has the details.")
			d.opts.Logger.Error("dashboard: resolving a login", "err", err)
			return
		}
		if v == nil {
			if r.Method == http.MethodGet && r.Header.Get("X-Fragment") == "" {
				http.Redirect(w, r, "/login?next="+template.URLQueryEscaper(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			d.errorPage(w, r, nil, http.StatusUnauthorized, "Log in first.")
			return
		}
		if r.Method == http.MethodGet {
			d.ensureOpenCSRF(w, r, v)
		}
		if r.Method == http.MethodPost && !tokensEqual(r.PostFormValue("csrf"), v.csrf) {
			d.errorPage(w, r, v, http.StatusForbidden, "This form has expired or did not come from this dashboard (CSRF token missing or wrong). Go back, reload the page and try again.")
			return
		}
		next(w, r, v)
	}
}

// viewer returns the request's access, or nil without a valid login.
func (d *Dashboard) viewer(r *http.Request) (*viewer, error) {
	ctx := r.Context()
	now := d.opts.Now()
	v := &viewer{}
	var lg *login
	if c, err := r.Cookie(cookieLogin); err == nil {
		lg = d.logins.get(ctx, c.Value, now)
		v.token = c.Value
	}
	all := false
	if lg != nil {
		lg.mu.Lock()
		all = lg.all
		lg.mu.Unlock()
	}
	switch {
	case all, lg == nil && d.opts.Open:
		ps, err := d.st.ListProjects(ctx)
		if err != nil {
			return nil, err
		}
		v.projects = ps
	case lg != nil:
		ps, err := d.keyProjects(ctx, lg)
		if err != nil {
			return nil, err
		}
		if len(ps) == 0 { // every key revoked
			d.logins.remove(ctx, v.token)
			return nil, nil
		}
		v.projects = ps
	default:
		return nil, nil
	}
	if lg == nil {
		v.open, v.csrf = true, openCSRF(r)
	} else {
		v.login, v.csrf = lg, lg.csrf
	}
	if len(v.projects) == 0 {
		return v, nil
	}
	want := r.URL.Query().Get("project")
	if want == "" && lg != nil {
		lg.mu.Lock()
		want = lg.current
		lg.mu.Unlock()
	}
	if want == "" && v.open {
		if c, err := r.Cookie("agentops_project"); err == nil {
			want = c.Value
		}
	}
	v.current = v.projects[0]
	for _, p := range v.projects {
		if p.ID == want {
			v.current = p
		}
	}
	return v, nil
}

// keyProjects checks a login's keys again and returns their projects.
func (d *Dashboard) keyProjects(ctx context.Context, lg *login) ([]store.Project, error) {
	lg.mu.Lock()
	keys := slices.Clone(lg.keys)
	lg.mu.Unlock()
	var ps []store.Project
	for _, k := range keys {
		stored, err := d.st.KeyByHash(ctx, k.hash)
		if errors.Is(err, store.ErrNotFound) || (err == nil && stored.RevokedAt != nil) {
			continue
		}
		if err != nil {
			return nil, err
		}
		id := stored.ProjectID
		if slices.ContainsFunc(ps, func(p store.Project) bool { return p.ID == id }) {
			continue
		}
		p, err := d.st.Project(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// openCSRF is the CSRF token of open mode (no login): a random value in a
// SameSite=Strict cookie, which a form must repeat.
func openCSRF(r *http.Request) string {
	if c, err := r.Cookie(cookiePreLogin); err == nil {
		return c.Value
	}
	return ""
}

// render executes a page template into a buffer first, so a failure is a
// clean 500 rather than half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := d.tmpl[name].ExecuteTemplate(&buf, name, data); err != nil {
		d.opts.Logger.Error("dashboard: rendering", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page is what every full page's layout reads.
type page struct {
	Title    string
	Nav      string // overview, sessions
	V        *viewer
	Projects []store.Project
	Current  store.Project
	CSRF     string
	Open     bool
	Now      time.Time
	Data     any
}

func (d *Dashboard) page(v *viewer, title, nav string, data any) page {
	p := page{Title: title, Nav: nav, V: v, Now: d.opts.Now(), Data: data}
	if v != nil {
		p.Projects, p.Current, p.CSRF, p.Open = v.projects, v.current, v.csrf, v.open
	}
	return p
}

// errorPage answers a status with a short explanation, in the layout when
// there is a viewer.
func (d *Dashboard) errorPage(w http.ResponseWriter, r *http.Request, v *viewer, status int, msg string) {
	d.render(w, r, status, "error.html", d.page(v, http.StatusText(status), "", msg))
}

// ensureOpenCSRF gives a browser in open mode its CSRF cookie.
func (d *Dashboard) ensureOpenCSRF(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.open || v.csrf != "" {
		return
	}
	v.csrf = randomToken()
	http.SetCookie(w, &http.Cookie{Name: cookiePreLogin, Value: v.csrf, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}
