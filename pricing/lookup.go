package pricing

import (
	"strings"
	"sync"
	"sync/atomic"
)

// maxModelLen bounds the names Lookup examines: real model names, resource
// paths and ARNs included, are far shorter, and the bound keeps a hostile
// name from costing more than a few microseconds.
const maxModelLen = 512

// Lookup finds a model's price: exact name first, then with provider prefixes
// ("openai/", "anthropic.", "models/") and date/version suffixes
// ("-2024-08-06", "-20241022", "@20240229", "-v1:0", "-latest") stripped.
// It returns the table entry's name and false for an unknown model.
func (t *Table) Lookup(model string) (p Price, matched string, ok bool) {
	m, ok := t.Find("", model)
	return m.Price, m.Model, ok
}

// Find resolves model like Lookup and returns the whole entry, long-context
// tier included. provider is a hint, as OpenTelemetry's gen_ai.system or a
// gateway reports it ("openai", "anthropic", "gcp.gemini", "aws.bedrock",
// "groq", "together_ai", ...): it selects that provider's entry where two
// providers list the same name, and is otherwise ignored; "" gives none.
func (t *Table) Find(provider, model string) (Match, bool) {
	hint := canonicalProvider(provider)
	// A name listed as written needs neither the cache nor resolution (with
	// overrides it might resolve to one of them instead, so it goes the long way).
	if t.over == nil {
		if m := t.base.exact[model]; m != nil && (hint == "" || hint == m.Provider) {
			return *m, true
		}
	}
	c := t.cache.Load()
	if c == nil {
		c = newLookupCache()
		if !t.cache.CompareAndSwap(nil, c) {
			c = t.cache.Load()
		}
	}
	m, hit := c.load(hint, model)
	if !hit {
		m = t.resolve(hint, model)
		if c.store(hint, model, m) {
			t.cache.CompareAndSwap(c, newLookupCache()) // full: start afresh
		}
	}
	if m == nil {
		return Match{}, false
	}
	return *m, true
}

func (t *Table) resolve(hint, model string) *Match {
	if t.over != nil {
		if m := t.over.resolve(hint, model); m != nil {
			return m
		}
	}
	return t.base.resolve(hint, model)
}

// resolve tries, for the name and for each tail after a '/', the tail as
// written, then lowercased and normalized, then with one version suffix after
// another removed; with a provider hint, that provider's entry is tried before
// the others at each step. A leading path segment that names a provider
// becomes the hint when none was given.
func (ix *index) resolve(hint, model string) *Match {
	s := strings.TrimSpace(model)
	if s == "" || len(s) > maxModelLen {
		return nil
	}
	lower := asciiLower(s) // byte-for-byte aligned with s
	for start := 0; ; {
		tail, tailAsWritten := lower[start:], s[start:]
		slash := strings.IndexByte(tail, '/')
		if slash < 0 {
			tail, tailAsWritten = stripDottedPrefixes(tail, tailAsWritten)
		}
		if m := ix.match(hint, tail, tailAsWritten); m != nil {
			return m
		}
		if slash < 0 {
			return nil
		}
		if hint == "" {
			hint = canonicalProvider(tail[:slash])
		}
		start += slash + 1
	}
}

func (ix *index) match(hint, name, asWritten string) *Match {
	if m := ix.exact[asWritten]; m != nil && (hint == "" || m.Provider == hint || m.Provider == "") {
		return m
	}
	for {
		key := normalize(name)
		if hint != "" {
			if m := ix.qualified[hint+"/"+key]; m != nil {
				return m
			}
		}
		if m := ix.names[key]; m != nil {
			return m
		}
		var ok bool
		if name, ok = stripVersion(name); !ok {
			return nil
		}
	}
}

// stripVersion removes one version token from the end of a lowercase name
// and reports whether it did. Only these tokens are removed; anything that
// could name a different model ("-mini", "-turbo", "-8b", a single digit) is
// kept.
func stripVersion(name string) (string, bool) {
	// Vertex: "claude-3-opus@20240229".
	if i := strings.LastIndexByte(name, '@'); i > 0 {
		return name[:i], true
	}
	// Bedrock: "...-20241022-v2:0".
	if i := strings.LastIndexByte(name, ':'); i > 0 && isDigits(name[i+1:]) {
		if j := strings.LastIndex(name[:i], "-v"); j > 0 && isDigits(name[j+2:i]) {
			return name[:j], true
		}
	}
	for _, suffix := range [...]string{"-latest", "-preview", "-beta"} {
		if len(name) > len(suffix) && strings.HasSuffix(name, suffix) {
			return name[:len(name)-len(suffix)], true
		}
	}
	// Numeric tokens: "-2024-08-06", "-09-2025", "-05-20", "-20241022",
	// "-0613", "-2411", "-001".
	last := strings.LastIndexByte(name, '-')
	if last <= 0 || !isDigits(name[last+1:]) {
		return name, false
	}
	rest, tok := name[:last], name[last+1:]
	switch len(tok) {
	case 2: // "-MM-DD", with a year before it "-YYYY-MM-DD"
		month, ok := lastToken(rest)
		if !ok || !isMonth(month) || !isDay(tok) {
			return name, false
		}
		rest = rest[:len(rest)-len(month)-1]
		if year, ok := lastToken(rest); ok && isYear(year) {
			rest = rest[:len(rest)-len(year)-1]
		}
		return rest, true
	case 4: // "-MM-YYYY", or a snapshot or date on its own: "-0613", "-2411"
		if month, ok := lastToken(rest); ok && isMonth(month) && isYear(tok) {
			return rest[:len(rest)-len(month)-1], true
		}
		return rest, true
	case 3, 8: // "-001", "-20241022"
		return rest, true
	}
	return name, false
}

// lastToken returns the all-digit token after name's last '-', if any.
func lastToken(name string) (string, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || !isDigits(name[i+1:]) {
		return "", false
	}
	return name[i+1:], true
}

func isYear(s string) bool  { return len(s) == 4 && s[:2] == "20" }
func isMonth(s string) bool { return len(s) == 2 && "01" <= s && s <= "12" }
func isDay(s string) bool   { return len(s) == 2 && "01" <= s && s <= "31" }

// stripDottedPrefixes removes Bedrock's "<region>." and "<vendor>." prefixes:
// "us.anthropic.claude-3-5-sonnet-20241022-v2:0" -> "claude-3-5-sonnet-...".
func stripDottedPrefixes(lower, asWritten string) (string, string) {
	for {
		dot := strings.IndexByte(lower, '.')
		if dot <= 0 || !bedrockPrefixes[lower[:dot]] {
			return lower, asWritten
		}
		lower, asWritten = lower[dot+1:], asWritten[dot+1:]
	}
}

var bedrockPrefixes = map[string]bool{
	// cross-region inference profiles
	"us": true, "eu": true, "apac": true, "global": true, "us-gov": true, "ca": true, "jp": true, "au": true,
	// model vendors
	"anthropic": true, "meta": true, "mistral": true, "cohere": true, "amazon": true, "ai21": true,
	"deepseek": true, "openai": true, "qwen": true, "writer": true,
}

// normalize maps spellings of one name onto the table's: Claude versions are
// written with dots by some gateways ("claude-3.5-sonnet", "claude-sonnet-4.5")
// and with dashes by Anthropic.
func normalize(lower string) string {
	if strings.HasPrefix(lower, "claude") && strings.IndexByte(lower, '.') >= 0 {
		return strings.ReplaceAll(lower, ".", "-")
	}
	return lower
}

// canonicalProvider maps the provider names SDKs, semantic conventions and
// gateways use onto the table's; an unknown name gives "" (no hint).
func canonicalProvider(p string) string {
	if p == "" {
		return ""
	}
	return providerNames[asciiLower(strings.TrimSpace(p))]
}

var providerNames = map[string]string{
	"openai": "openai", "azure": "openai", "azure_openai": "openai", "azure.ai.openai": "openai", "az.ai.openai": "openai",
	"anthropic": "anthropic",
	"google":    "google", "gemini": "google", "google_genai": "google", "gcp.gemini": "google",
	"vertex_ai": "google", "vertex": "google", "gcp.vertex_ai": "google", "gcp.gen_ai": "google",
	"mistral": "mistral", "mistralai": "mistral", "mistral_ai": "mistral",
	"deepseek": "deepseek",
	"xai":      "xai", "x-ai": "xai", "x_ai": "xai",
	"groq":     "groq",
	"together": "together", "together_ai": "together", "togetherai": "together",
	"fireworks": "fireworks", "fireworks_ai": "fireworks",
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// asciiLower lowercases ASCII letters only, so the result is aligned byte for
// byte with s; it does not allocate when s has no upper-case letter.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// lookupCache memoizes resolutions (misses too) per provider hint. It holds at
// most maxCached names; the one that fills it is replaced by an empty one, so
// a stream of distinct names costs memory only up to that bound.
type lookupCache struct {
	byHint map[string]*sync.Map // hint -> model -> *Match (nil for unknown); fixed keys
	n      atomic.Int64
}

const (
	maxCached      = 4096
	maxCachedModel = 256 // longer names are resolved every time
)

func newLookupCache() *lookupCache {
	c := &lookupCache{byHint: map[string]*sync.Map{"": {}}}
	for _, p := range providerNames {
		if c.byHint[p] == nil {
			c.byHint[p] = &sync.Map{}
		}
	}
	return c
}

func (c *lookupCache) load(hint, model string) (*Match, bool) {
	v, ok := c.byHint[hint].Load(model)
	if !ok {
		return nil, false
	}
	return v.(*Match), true
}

// store records a resolution and reports whether the cache is now full.
func (c *lookupCache) store(hint, model string, m *Match) (full bool) {
	if len(model) > maxCachedModel {
		return false
	}
	// Clone: model may point into a larger buffer the caller reuses or frees.
	if _, loaded := c.byHint[hint].LoadOrStore(strings.Clone(model), m); loaded {
		return false
	}
	return c.n.Add(1) >= maxCached
}
