package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

//go:embed prices.json
var embedded []byte

// fileUnit is the only unit prices.json may state; the file lists prices the
// way providers publish them and Parse converts them to USD per token.
const (
	fileUnit  = "USD per 1M tokens"
	perMToken = 1e6
)

// Table is an immutable set of model prices, safe for concurrent use.
type Table struct {
	version, date, note string
	sources             map[string]string // provider -> pricing page
	entries             []Entry           // file order
	base                *index
	overrides           map[string]Price // as given to WithOverrides, merged
	over                *index           // nil without overrides
	cache               atomic.Pointer[lookupCache]
}

// Entry is one model of the table, for listing (see Entries).
type Entry struct {
	Provider    string   // "openai", "anthropic", "google", ...; "" for an override
	Model       string   // the name as listed
	Aliases     []string // other names of the same model at the same price
	Price       Price
	LongContext Tier   // zero unless the model charges more for long inputs
	Note        string // why the entry is as it is, when not obvious
	Source      string // the provider's pricing page
	Override    bool   // a project override (WithOverrides), not a table entry
}

var defaultTable = sync.OnceValue(func() *Table {
	t, err := Parse(embedded)
	if err != nil {
		panic("pricing: embedded prices.json: " + err.Error()) // caught by TestEmbeddedTable
	}
	return t
})

// Default returns the embedded table.
func Default() *Table { return defaultTable() }

// Version is the table's version string (e.g. "2025-06-01.1").
func (t *Table) Version() string { return t.version }

// Date is the date (YYYY-MM-DD) the table's prices reflect.
func (t *Table) Date() string { return t.date }

// Note says how the prices were compiled and what they cover.
func (t *Table) Note() string { return t.note }

// Sources returns each provider's pricing page, by provider.
func (t *Table) Sources() map[string]string { return maps.Clone(t.sources) }

// Entries lists the table's models in file order, then the overrides sorted by
// name. The result is the caller's to modify.
func (t *Table) Entries() []Entry {
	out := make([]Entry, 0, len(t.entries)+len(t.overrides))
	for _, e := range t.entries {
		e.Aliases = slices.Clone(e.Aliases)
		out = append(out, e)
	}
	for _, name := range slices.Sorted(maps.Keys(t.overrides)) {
		out = append(out, Entry{Model: name, Price: t.overrides[name], Override: true})
	}
	return out
}

// WithOverrides returns a table where the given prices (by exact model name,
// also matched with the same prefix/suffix stripping) take precedence: a name
// that resolves to an override is priced by it, whatever the table lists. The
// receiver's own overrides are kept unless replaced by name. Prices are used
// as given; check user input with Price.Validate (and Price.WithDefaults)
// first.
func (t *Table) WithOverrides(overrides map[string]Price) *Table {
	if len(overrides) == 0 {
		return t
	}
	merged := maps.Clone(t.overrides)
	if merged == nil {
		merged = make(map[string]Price, len(overrides))
	}
	maps.Copy(merged, overrides)

	var ix index
	for _, name := range slices.Sorted(maps.Keys(merged)) {
		// A name that is empty or too long to ever be looked up is not
		// indexed; it still shows in Entries, so the user can see it.
		_ = ix.add(&Match{Model: name, Price: merged[name], Override: true}, "", name)
	}
	return &Table{
		version: t.version, date: t.date, note: t.note, sources: t.sources,
		entries: t.entries, base: t.base, overrides: merged, over: &ix,
	}
}

// file is the shape of prices.json.
type file struct {
	Version string            `json:"version"`
	Date    string            `json:"date"`
	Unit    string            `json:"unit"`
	Note    string            `json:"note"`
	Sources map[string]string `json:"sources"`
	Models  []fileModel       `json:"models"`
}

type fileModel struct {
	Provider    string    `json:"provider"`
	Model       string    `json:"model"`
	Aliases     []string  `json:"aliases"`
	Note        string    `json:"note"`
	LongContext *fileTier `json:"long_context"`
	filePrice
}

type fileTier struct {
	AboveInputTokens int64 `json:"above_input_tokens"`
	filePrice
}

// filePrice has pointers so that a missing field is an error, not a free
// token class.
type filePrice struct {
	Input      *json.Number `json:"input"`
	Output     *json.Number `json:"output"`
	CacheRead  *json.Number `json:"cache_read"`
	CacheWrite *json.Number `json:"cache_write"`
	Reasoning  *json.Number `json:"reasoning"`
}

func (fp filePrice) price() (Price, error) {
	var p Price
	for _, f := range [...]struct {
		name string
		v    *json.Number
		dst  *float64
	}{
		{"input", fp.Input, &p.Input}, {"output", fp.Output, &p.Output},
		{"cache_read", fp.CacheRead, &p.CacheRead}, {"cache_write", fp.CacheWrite, &p.CacheWrite},
		{"reasoning", fp.Reasoning, &p.Reasoning},
	} {
		if f.v == nil {
			return p, fmt.Errorf("%s is missing", f.name)
		}
		v, err := perToken(*f.v)
		if err != nil {
			return p, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = v
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	if !(p.Input > 0) {
		return p, errors.New("input must be > 0")
	}
	return p, nil
}

// perToken converts a per-1M-token price as written in the file, shifting the
// decimal exponent rather than dividing, so that "0.34" becomes exactly the
// float64 nearest 0.34e-6 (what a reader of the table would write).
func perToken(n json.Number) (float64, error) {
	s := string(n)
	if strings.ContainsAny(s, "eE") {
		v, err := strconv.ParseFloat(s, 64)
		return v / perMToken, err
	}
	return strconv.ParseFloat(s+"e-6", 64)
}

// Parse reads a price table in the shape of the embedded prices.json. Every
// model needs a provider with a source, and all five prices.
func Parse(data []byte) (*Table, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("pricing: parse table: %w", err)
	}
	switch {
	case f.Version == "":
		return nil, errors.New("pricing: table has no version")
	case f.Date == "":
		return nil, errors.New("pricing: table has no date")
	case f.Unit != fileUnit:
		return nil, fmt.Errorf("pricing: table unit is %q, want %q", f.Unit, fileUnit)
	case len(f.Models) == 0:
		return nil, errors.New("pricing: table lists no models")
	}

	t := &Table{version: f.Version, date: f.Date, note: f.Note, sources: f.Sources, base: &index{}}
	t.entries = make([]Entry, 0, len(f.Models))
	for i, m := range f.Models {
		e, err := m.entry(f.Sources)
		if err != nil {
			return nil, fmt.Errorf("pricing: model %d (%s): %w", i, m.Model, err)
		}
		t.entries = append(t.entries, e)
	}
	for i := range t.entries {
		e := &t.entries[i]
		match := &Match{Model: e.Model, Provider: e.Provider, Price: e.Price, LongContext: e.LongContext}
		for _, name := range append([]string{e.Model}, e.Aliases...) {
			if err := t.base.add(match, e.Provider, name); err != nil {
				return nil, fmt.Errorf("pricing: model %s: %w", e.Model, err)
			}
		}
	}
	return t, nil
}

func (m fileModel) entry(sources map[string]string) (Entry, error) {
	e := Entry{Provider: m.Provider, Model: m.Model, Aliases: m.Aliases, Note: m.Note}
	if e.Model == "" || strings.TrimSpace(e.Model) != e.Model {
		return e, fmt.Errorf("bad model name %q", e.Model)
	}
	if e.Provider == "" || e.Provider != strings.ToLower(e.Provider) || strings.Contains(e.Provider, "/") {
		return e, fmt.Errorf("bad provider %q: want a lowercase name", e.Provider)
	}
	if e.Source = sources[e.Provider]; e.Source == "" {
		return e, fmt.Errorf("provider %q has no source", e.Provider)
	}
	var err error
	if e.Price, err = m.price(); err != nil {
		return e, err
	}
	if lc := m.LongContext; lc != nil {
		if lc.AboveInputTokens <= 0 {
			return e, errors.New("long_context: above_input_tokens must be > 0")
		}
		e.LongContext.AboveInputTokens = lc.AboveInputTokens
		if e.LongContext.Price, err = lc.price(); err != nil {
			return e, fmt.Errorf("long_context: %w", err)
		}
	}
	return e, nil
}

// index maps names to entries three ways; see resolve for the order.
type index struct {
	exact     map[string]*Match // name as written
	names     map[string]*Match // normalized name
	qualified map[string]*Match // provider + "/" + normalized name
}

// add indexes one name of m. The first entry listed under a name is the one
// found without a provider hint; a provider may list a name once.
func (ix *index) add(m *Match, provider, name string) error {
	if ix.exact == nil {
		ix.exact, ix.names, ix.qualified = map[string]*Match{}, map[string]*Match{}, map[string]*Match{}
	}
	if name == "" || len(name) > maxModelLen {
		return fmt.Errorf("bad name %q", name)
	}
	if _, ok := ix.exact[name]; !ok {
		ix.exact[name] = m
	}
	key := normalize(asciiLower(name))
	if _, ok := ix.names[key]; !ok {
		ix.names[key] = m
	}
	if provider != "" {
		qk := provider + "/" + key
		if prev, ok := ix.qualified[qk]; ok && prev != m {
			return fmt.Errorf("%s lists %q twice (also as %s)", provider, name, prev.Model)
		}
		ix.qualified[qk] = m
	}
	return nil
}
