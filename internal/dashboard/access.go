package dashboard

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/agentops-go/agentops/internal/auth"
)

type loginData struct {
	Next        string
	Error       string
	HasPassword bool
	Adding      bool // a login exists: the key is added to it
}

// safeNext keeps a redirect target on this site: a path, not "//host" nor
// a scheme.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return "/"
	}
	return next
}

func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	v, err := d.viewer(r)
	if err != nil {
		d.opts.Logger.Error("dashboard: resolving a login", "err", err)
		v = nil
	}
	data := loginData{Next: safeNext(r.URL.Query().Get("next")), HasPassword: d.opts.Password != ""}
	var p page
	if v != nil && v.login != nil {
		data.Adding = true
		p = d.page(v, "Add a project", "", data)
	} else {
		// No login yet: the form's CSRF token is a random value in a
		// SameSite=Strict cookie, repeated by the form.
		pre := &viewer{csrf: openCSRF(r), open: true}
		d.ensureOpenCSRF(w, r, pre)
		p = d.page(nil, "Log in", "", data)
		p.CSRF = pre.csrf
	}
	d.render(w, r, http.StatusOK, "login.html", p)
}

func (d *Dashboard) loginSubmit(w http.ResponseWriter, r *http.Request) {
	now := d.opts.Now()
	fail := func(status int, msg string) {
		data := loginData{Next: safeNext(r.PostFormValue("next")), Error: msg, HasPassword: d.opts.Password != ""}
		var p page
		if v, err := d.viewer(r); err == nil && v != nil && v.login != nil {
			data.Adding = true
			p = d.page(v, "Add a project", "", data)
		} else {
			p = d.page(nil, "Log in", "", data)
			p.CSRF = openCSRF(r)
		}
		d.render(w, r, status, "login.html", p)
	}
	if !d.limiter.allow(r, now) {
		w.Header().Set("Retry-After", "60")
		fail(http.StatusTooManyRequests, "Too many login attempts from your address. Wait a minute and try again.")
		return
	}
	var lg *login
	if c, err := r.Cookie(cookieLogin); err == nil {
		lg = d.logins.get(r.Context(), c.Value, now)
	}
	want := openCSRF(r)
	if lg != nil {
		want = lg.csrf
	}
	if !tokensEqual(r.PostFormValue("csrf"), want) {
		fail(http.StatusForbidden, "This form has expired (CSRF token missing or wrong). Try again.")
		return
	}
	next := safeNext(r.PostFormValue("next"))
	password, key := r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("api_key"))
	var add func(*login)
	switch {
	case password != "":
		if d.opts.Password == "" || subtle.ConstantTimeCompare([]byte(password), []byte(d.opts.Password)) != 1 {
			fail(http.StatusUnauthorized, "Wrong password.")
			return
		}
		add = func(l *login) { l.all = true }
	case key != "":
		projectID, err := d.auth.ProjectForKey(r.Context(), key)
		switch {
		case errors.Is(err, auth.ErrInvalidKeyFormat):
			fail(http.StatusBadRequest, "That is not an API key: a key looks like 123e4567-e89b-42d3-a456-426614174000.")
			return
		case errors.Is(err, auth.ErrUnknownKey), errors.Is(err, auth.ErrRevokedKey):
			fail(http.StatusUnauthorized, "Unknown or revoked API key.")
			return
		case err != nil:
			d.opts.Logger.Error("dashboard: checking a key", "err", err)
			fail(http.StatusInternalServerError, "The key could not be checked. The server log has the details.")
			return
		}
		hash, _ := auth.HashKey(key) // ProjectForKey accepted its format
		add = func(l *login) {
			l.current = projectID
			for _, k := range l.keys {
				if bytes.Equal(k.hash, hash) {
					return
				}
			}
			l.keys = append(l.keys, heldKey{hash: hash, projectID: projectID})
		}
	default:
		fail(http.StatusBadRequest, "Enter a project API key or the dashboard password.")
		return
	}
	if lg != nil {
		lg.mu.Lock()
		add(lg)
		lg.mu.Unlock()
		d.logins.save(r.Context(), lg, now)
	} else {
		lg = &login{csrf: randomToken(), expires: now.Add(loginTTL)}
		add(lg)
		token := d.logins.add(r.Context(), lg, now)
		http.SetCookie(w, &http.Cookie{
			Name: cookieLogin, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
			Secure: r.TLS != nil, Expires: lg.expires, MaxAge: int(loginTTL.Seconds()),
		})
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request, v *viewer) {
	if v.login != nil {
		d.logins.remove(r.Context(), v.token)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieLogin, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// switchProject makes another of the viewer's projects the one shown.
func (d *Dashboard) switchProject(w http.ResponseWriter, r *http.Request, v *viewer) {
	id := r.PostFormValue("project")
	found := false
	for _, p := range v.projects {
		found = found || p.ID == id
	}
	if !found {
		d.errorPage(w, r, v, http.StatusNotFound, "No such project among yours.")
		return
	}
	if v.login != nil {
		v.login.mu.Lock()
		v.login.current = id
		v.login.mu.Unlock()
		d.logins.save(r.Context(), v.login, d.opts.Now())
	} else {
		http.SetCookie(w, &http.Cookie{Name: "agentops_project", Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	}
	next := safeNext(r.PostFormValue("next"))
	if strings.HasPrefix(next, "/sessions/") || strings.HasPrefix(next, "/traces/") {
		next = "/sessions" // a session belongs to the project left
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
