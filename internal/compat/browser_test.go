package compat

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is what a person opening the URL the SDK prints uses: a cookie
// jar, redirects followed, forms posted with their hidden fields.
type browser struct {
	t      *testing.T
	client *http.Client
}

// page is a loaded page: where the redirects ended, its status and HTML.
type page struct {
	url    *url.URL
	status int
	body   string
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{Jar: jar}}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	return b.read(resp)
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// submit posts the first form of p with its hidden fields (the CSRF token,
// the page to go back to) and fields.
func (b *browser) submit(p page, fields url.Values) page {
	b.t.Helper()
	m := formAction.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no form on %s", p.url)
	}
	form := url.Values{}
	for _, h := range hiddenInput.FindAllStringSubmatch(p.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	if form.Get("csrf") == "" {
		b.t.Fatalf("the form on %s has no CSRF token", p.url)
	}
	for k, v := range fields {
		form[k] = v
	}
	action, err := p.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	resp, err := b.client.PostForm(action.String(), form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", action, err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) page {
	b.t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{url: resp.Request.URL, status: resp.StatusCode, body: string(body)}
}

// textOf is the text of the element with the id up to its first child
// element, trimmed.
func textOf(body, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}
