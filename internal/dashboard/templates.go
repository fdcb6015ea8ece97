package dashboard

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/agentops-go/agentops/internal/format"
)

var funcs = template.FuncMap{
	"usd":   formatUSD,
	"count": func(n int64) string { return formatCount(float64(n)) },
	"int":   func(n int64) string { return format.Thousands(n) },
	"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"ago": func(now, t time.Time) string {
		d := now.Sub(t)
		switch {
		case d < time.Minute:
			return "just now"
		case d < time.Hour:
			return strconv.Itoa(int(d/time.Minute)) + " min ago"
		case d < 48*time.Hour:
			return strconv.Itoa(int(d/time.Hour)) + " h ago"
		}
		return strconv.Itoa(int(d/(24*time.Hour))) + " days ago"
	},
	"f":       func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	"eq2":     func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
	"short":   func(s string) string { return s[:min(8, len(s))] },
	"lower":   strings.ToLower,
	"add":     func(a, b int) int { return a + b },
	"nonzero": func(n int64) bool { return n != 0 },
	"size":    formatBytes,
	"i64":     func(n int) int64 { return int64(n) },
	"plural":  plural,
	"dotted":  dotted,
}

// dotted is an attribute key, escaped, that a narrow column may break
// after its dots (gen_ai.prompt.0.<wbr>content) rather than inside a word.
func dotted(key string) template.HTML {
	parts := strings.Split(key, ".")
	for i, p := range parts {
		parts[i] = template.HTMLEscapeString(p)
	}
	return template.HTML(strings.Join(parts, ".<wbr>"))
}

// plural writes a count and its noun: "1 tool", "1,204 tools".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return format.Thousands(n) + " " + many
}

// formatBytes writes a size for people: 812 B, 14.2 KiB, 3.0 MiB.
func formatBytes(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

var pageNames = []string{"login.html", "error.html", "overview.html", "sessions.html", "session_rows.html", "session.html", "span.html"}

func parseTemplates() (map[string]*template.Template, error) {
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: templates: %w", err)
	}
	m := map[string]*template.Template{}
	for _, name := range pageNames {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("dashboard: template %s missing", name)
		}
		m[name] = t
	}
	return m, nil
}
