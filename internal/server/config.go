// Package server wires the `agentops serve` process: storage, credentials,
// the ingest pipeline and the HTTP routes, and runs them until asked to stop.
package server

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Config is everything `agentops serve` can be told. Every field has a flag
// and an AGENTOPS_* environment variable (the flag wins).
type Config struct {
	Addr string // host:port of the one HTTP listener (OTLP, API, dashboard)
	// GRPCAddr is host:port of the OTLP/gRPC listener; "" disables it. An
	// empty host (the default ":4317") means the host of Addr.
	GRPCAddr string
	DataDir  string // where the SQLite file and the JWT secret live

	// TLSCert and TLSKey are PEM files of a certificate (its chain
	// included) and its key: both listeners then serve TLS only (HTTPS,
	// gRPC over TLS), and a renewed pair is picked up without a restart.
	// Both or neither.
	TLSCert, TLSKey string
	// TrustedProxies is a comma-separated list of CIDR prefixes or
	// addresses of reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (proxy.go). Empty: none.
	TrustedProxies string

	// Limits of one OTLP request.
	MaxBodyBytes         int64 // as received (compressed): 413 beyond
	MaxDecompressedBytes int64 // after gzip: 413 beyond
	MaxSpansPerRequest   int   // 413 beyond
	MaxAttrValueBytes    int64 // longer values are truncated and marked, not rejected

	// Write path.
	MaxBatchSpans   int // spans per group-commit transaction
	MaxQueuedSpans  int // spans waiting for a commit; beyond, 503 + Retry-After
	MaxConcurrent   int // OTLP requests decoded at once; others wait their turn
	SessionTimeout  time.Duration
	ShutdownTimeout time.Duration

	// Retention deletes the sessions last seen longer ago than this, with
	// their spans and logs, at start and every RetentionInterval (0: keep
	// everything). The overview's per-day figures are kept.
	Retention         time.Duration
	RetentionInterval time.Duration

	// Dashboard access (internal/dashboard). DashboardPassword, when set,
	// logs in to every project; Open shows the dashboard without a login,
	// and is refused unless Addr is a loopback address.
	DashboardPassword string
	Open              bool
	// SortWindow: a sorted sessions table of the dashboard sorts the
	// sessions that arrived last, this many (0: the dashboard's default,
	// dashboard.DefaultSortWindow; negative: all of them).
	SortWindow int

	// DiscardSpans accepts and decodes spans but does not store them: the
	// decode-only baseline of the load benchmark. Never for real use.
	DiscardSpans bool
}

// DefaultConfig returns the defaults documented in docs/API.md.
func DefaultConfig() Config {
	return Config{
		Addr:                 "127.0.0.1:4318",
		GRPCAddr:             ":4317",
		DataDir:              DefaultDataDir(),
		MaxBodyBytes:         16 << 20,
		MaxDecompressedBytes: 64 << 20,
		MaxSpansPerRequest:   20000,
		MaxAttrValueBytes:    64 << 10,
		MaxBatchSpans:        8192,
		MaxQueuedSpans:       32768,
		MaxConcurrent:        4 * runtime.GOMAXPROCS(0),
		SessionTimeout:       30 * time.Minute,
		ShutdownTimeout:      30 * time.Second,
		RetentionInterval:    time.Hour,
	}
}

// DefaultDataDir is the per-user data directory: $XDG_DATA_HOME/agentops,
// else ~/.local/share/agentops (on macOS and Windows, the user config dir).
func DefaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "agentops")
	}
	if runtime.GOOS == "linux" || strings.HasSuffix(runtime.GOOS, "bsd") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "share", "agentops")
		}
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "agentops")
	}
	return "agentops-data"
}

// RegisterDataFlag registers only --data, for the subcommands that read the
// store without serving.
func RegisterDataFlag(fs *flag.FlagSet, dir *string) {
	fs.StringVar(dir, "data", envString("AGENTOPS_DATA", DefaultDataDir()), "data directory holding agentops.db (env AGENTOPS_DATA)")
}

// RegisterFlags registers every serve flag on fs, with defaults taken from
// the environment, and returns the Config they fill.
func RegisterFlags(fs *flag.FlagSet) *Config {
	c := DefaultConfig()
	fs.StringVar(&c.Addr, "addr", envString("AGENTOPS_ADDR", c.Addr), "listen address for OTLP/HTTP, the API and the dashboard (env AGENTOPS_ADDR)")
	fs.StringVar(&c.GRPCAddr, "grpc-addr", envStringOrEmpty("AGENTOPS_GRPC_ADDR", c.GRPCAddr), `listen address for OTLP/gRPC; ":PORT" takes --addr's host; "" disables (env AGENTOPS_GRPC_ADDR)`)
	RegisterDataFlag(fs, &c.DataDir)
	fs.StringVar(&c.TLSCert, "tls-cert", envString("AGENTOPS_TLS_CERT", ""), "PEM certificate (chain included): serve HTTPS and gRPC over TLS; reloaded when the file changes (env AGENTOPS_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", envString("AGENTOPS_TLS_KEY", ""), "PEM private key of --tls-cert (env AGENTOPS_TLS_KEY)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", envString("AGENTOPS_TRUSTED_PROXIES", ""), "reverse proxies (CIDR prefixes or addresses, comma-separated) whose X-Forwarded-For/-Proto are believed: per-client login limits, Secure cookies behind a TLS proxy (env AGENTOPS_TRUSTED_PROXIES)")
	byteFlag(fs, &c.MaxBodyBytes, "max-body-bytes", "AGENTOPS_MAX_BODY_BYTES", "largest OTLP request body as sent (compressed), e.g. 16MiB")
	byteFlag(fs, &c.MaxDecompressedBytes, "max-decompressed-bytes", "AGENTOPS_MAX_DECOMPRESSED_BYTES", "largest OTLP request body after gzip, e.g. 64MiB")
	intFlag(fs, &c.MaxSpansPerRequest, "max-spans-per-request", "AGENTOPS_MAX_SPANS_PER_REQUEST", "most spans in one OTLP request")
	byteFlag(fs, &c.MaxAttrValueBytes, "max-attr-value-bytes", "AGENTOPS_MAX_ATTR_VALUE_BYTES", "longest attribute value kept whole; longer ones are truncated and marked")
	intFlag(fs, &c.MaxBatchSpans, "max-batch-spans", "AGENTOPS_MAX_BATCH_SPANS", "most spans written in one group-commit transaction")
	intFlag(fs, &c.MaxQueuedSpans, "max-queued-spans", "AGENTOPS_MAX_QUEUED_SPANS", "most spans waiting for a commit before answering 503")
	intFlag(fs, &c.MaxConcurrent, "max-concurrent-requests", "AGENTOPS_MAX_CONCURRENT_REQUESTS", "OTLP requests decoded at the same time")
	durationFlag(fs, &c.SessionTimeout, "session-timeout", "AGENTOPS_SESSION_TIMEOUT", "a session without end state silent this long reads as Indeterminate")
	durationFlag(fs, &c.ShutdownTimeout, "shutdown-timeout", "AGENTOPS_SHUTDOWN_TIMEOUT", "how long SIGINT/SIGTERM waits for requests in flight")
	durationFlag(fs, &c.Retention, "retention", "AGENTOPS_RETENTION", "delete sessions last seen longer ago than this, e.g. 30d (checked hourly; 0: keep everything)")
	// The password's value is never printed (--help shows *** when set).
	register(fs, "dashboard-password", "AGENTOPS_DASHBOARD_PASSWORD", "password that logs in to the dashboard with access to every project; empty: API keys only", &envValue{
		set: func(s string) error { c.DashboardPassword = s; return nil },
		get: func() string {
			if c.DashboardPassword == "" {
				return ""
			}
			return "***"
		},
	})
	intFlag(fs, &c.SortWindow, "dashboard-sort-window", "AGENTOPS_DASHBOARD_SORT_WINDOW", "a sorted sessions table sorts this many of the newest sessions (0: 100000; negative: all, slow beyond ~100k)")
	fs.BoolVar(&c.Open, "open", envBool("AGENTOPS_OPEN"), "dashboard readable without login; only with a loopback --addr (env AGENTOPS_OPEN)")
	fs.BoolVar(&c.DiscardSpans, "discard-spans", envBool("AGENTOPS_DISCARD_SPANS"), "benchmark only: decode spans and drop them instead of storing (env AGENTOPS_DISCARD_SPANS)")
	return &c
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Addr == "":
		return fmt.Errorf("--addr is empty")
	case c.DataDir == "":
		return fmt.Errorf("--data is empty")
	case c.MaxBodyBytes <= 0 || c.MaxDecompressedBytes <= 0 || c.MaxAttrValueBytes <= 0:
		return fmt.Errorf("size limits must be positive")
	case c.MaxDecompressedBytes < c.MaxBodyBytes:
		return fmt.Errorf("--max-decompressed-bytes (%d) is below --max-body-bytes (%d)", c.MaxDecompressedBytes, c.MaxBodyBytes)
	case c.MaxSpansPerRequest <= 0 || c.MaxBatchSpans <= 0 || c.MaxQueuedSpans <= 0 || c.MaxConcurrent <= 0:
		return fmt.Errorf("span and request limits must be positive")
	case c.SessionTimeout <= 0:
		return fmt.Errorf("--session-timeout must be positive")
	case c.Retention < 0:
		return fmt.Errorf("--retention must not be negative (0 keeps everything)")
	case c.Retention > 0 && c.Retention < time.Hour:
		return fmt.Errorf("--retention %v is under an hour: a session still being written could be deleted; use at least 1h (0 keeps everything)", c.Retention)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return fmt.Errorf("--tls-cert and --tls-key go together: give both (a certificate and its key) or neither")
	case c.Open && !IsLoopback(c.Addr):
		return fmt.Errorf("--open shows every project's data to anyone who can reach the server, so it needs a loopback --addr such as 127.0.0.1:4318 (not %q); use --dashboard-password or API keys to log in instead", c.Addr)
	}
	if _, err := c.GRPCListenAddr(); err != nil {
		return err
	}
	if _, err := parseProxies(c.TrustedProxies); err != nil {
		return err
	}
	return nil
}

// IsLoopback reports whether a listen address host:port binds to loopback
// only: localhost, 127.0.0.0/8 or ::1 (an empty host binds every interface).
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func envString(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// envStringOrEmpty is envString for a variable whose empty value means
// something (set but empty: "disabled").
func envStringOrEmpty(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// GRPCListenAddr is the address the OTLP/gRPC listener binds: GRPCAddr,
// with Addr's host when it names none; "" when gRPC is disabled.
func (c *Config) GRPCListenAddr() (string, error) {
	if c.GRPCAddr == "" {
		return "", nil
	}
	host, port, err := net.SplitHostPort(c.GRPCAddr)
	if err != nil {
		return "", fmt.Errorf("--grpc-addr %q: %w", c.GRPCAddr, err)
	}
	if host == "" {
		if host, _, err = net.SplitHostPort(c.Addr); err != nil {
			return "", fmt.Errorf("--addr %q: %w", c.Addr, err)
		}
	}
	return net.JoinHostPort(host, port), nil
}

func envBool(name string) bool {
	v := os.Getenv(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "agentops: ignoring %s=%q: not true or false\n", name, v)
	}
	return b
}

// Flags whose environment default cannot be parsed keep the built-in default
// and say so at parse time, naming the variable.
type envValue struct {
	set func(string) error
	get func() string
}

func (v *envValue) String() string {
	if v.get == nil {
		return ""
	}
	return v.get()
}
func (v *envValue) Set(s string) error { return v.set(s) }

func register(fs *flag.FlagSet, name, env, usage string, v *envValue) {
	if e := os.Getenv(env); e != "" {
		if err := v.set(e); err != nil {
			fmt.Fprintf(os.Stderr, "agentops: ignoring %s=%q: %v\n", env, e, err)
		}
	}
	fs.Var(v, name, usage+" (env "+env+")")
}

func intFlag(fs *flag.FlagSet, p *int, name, env, usage string) {
	register(fs, name, env, usage, &envValue{
		set: func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("not an integer")
			}
			*p = n
			return nil
		},
		get: func() string { return strconv.Itoa(*p) },
	})
}

func durationFlag(fs *flag.FlagSet, p *time.Duration, name, env, usage string) {
	register(fs, name, env, usage, &envValue{
		set: func(s string) error {
			d, err := ParseDuration(s)
			if err != nil {
				return err
			}
			*p = d
			return nil
		},
		get: func() string { return p.String() },
	})
}

// ParseDuration is time.ParseDuration that also takes days ("30d",
// "1d12h"), as retention periods are written.
func ParseDuration(s string) (time.Duration, error) {
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("not a duration like 30d, 12h or 10s")
		}
		rest := time.Duration(0)
		if s[i+1:] != "" {
			if rest, err = time.ParseDuration(s[i+1:]); err != nil {
				return 0, fmt.Errorf("not a duration like 30d, 12h or 10s")
			}
		}
		return time.Duration(days)*24*time.Hour + rest, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("not a duration like 30d, 12h or 10s")
	}
	return d, nil
}

func byteFlag(fs *flag.FlagSet, p *int64, name, env, usage string) {
	register(fs, name, env, usage, &envValue{
		set: func(s string) error {
			n, err := ParseBytes(s)
			if err != nil {
				return err
			}
			*p = n
			return nil
		},
		get: func() string { return FormatBytes(*p) },
	})
}

// ParseBytes reads a size such as 1048576, 512KiB, 16MiB, 1GiB (also KB, MB,
// GB as powers of 1000).
func ParseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size like 16MiB", s)
	}
	return n * mult, nil
}

// FormatBytes writes n in the largest binary unit that divides it.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		div    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.div && n%u.div == 0 {
			return strconv.FormatInt(n/u.div, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
