package agentops

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Default values of the configuration.
const (
	DefaultAPIEndpoint = "http://localhost:4318"
	DefaultAppURL      = "https://app.agentops.ai"
	DefaultTraceName   = "session"
	DefaultQueueSize   = 2048
	DefaultMaxWaitTime = 5 * time.Second
)

// Environment variables read by New and Init, under the names the official
// AgentOps SDKs use. An explicit Option always wins over the environment.
const (
	EnvAPIKey             = "AGENTOPS_API_KEY"
	EnvAPIEndpoint        = "AGENTOPS_API_ENDPOINT"
	EnvExporterEndpoint   = "AGENTOPS_EXPORTER_ENDPOINT"
	EnvAppURL             = "AGENTOPS_APP_URL"
	EnvDefaultTags        = "AGENTOPS_DEFAULT_TAGS" // comma-separated
	EnvTraceName          = "AGENTOPS_TRACE_NAME"
	EnvAutoStartSession   = "AGENTOPS_AUTO_START_SESSION" // default true
	EnvMaxQueueSize       = "AGENTOPS_MAX_QUEUE_SIZE"
	EnvMaxWaitTime        = "AGENTOPS_MAX_WAIT_TIME" // milliseconds, as the Python SDK
	EnvEnvDataOptOut      = "AGENTOPS_ENV_DATA_OPT_OUT"
	EnvLogLevel           = "AGENTOPS_LOG_LEVEL" // DEBUG, INFO, WARNING, ERROR, CRITICAL
	EnvInheritedSessionID = "AGENTOPS_INHERITED_SESSION_ID"
)

// Config is the resolved configuration of a Client: defaults, then the
// environment, then the options given to New or Init.
//
// Passed to StartSession or StartTrace with WithConfig, a Config applies
// different options to that one session: its non-zero DefaultTags,
// TraceName, InheritedSessionID and a true EnvDataOptOut replace the
// client's. The other fields concern the client as a whole and are ignored
// there.
type Config struct {
	APIKey             string        // project API key (a UUID); empty: spans are not accepted by the server, a warning is logged
	APIEndpoint        string        // base URL of the server: token exchange and /v2/sessions stats
	ExporterEndpoint   string        // OTLP traces URL; empty: APIEndpoint + "/v1/traces"
	AppURL             string        // dashboard base URL, for the session link logged at start
	DefaultTags        []string      // tags of every session
	TraceName          string        // name of a session's root span when none is given
	AutoStartSession   bool          // Init starts (and returns) a session
	MaxQueueSize       int           // spans waiting for export before new ones are dropped
	MaxWaitTime        time.Duration // longest a span waits before its batch is sent
	EnvDataOptOut      bool          // leave the host environment off the root span
	LogLevel           slog.Level    // level of the default logger
	Logger             *slog.Logger  // nil: a text logger on stderr at LogLevel
	InheritedSessionID string        // join this session (owned by another process) instead of starting one
	SignalHandler      bool          // end open sessions as Failure on SIGINT/SIGTERM
	HTTPClient         *http.Client  // for export and the stats look-up; nil: one with timeouts
}

// An Option configures a Client (New, Init) or, where it makes sense, one
// session (StartSession, StartTrace: WithDefaultTags, WithTags,
// WithTraceName, WithInheritedSessionID, WithEnvDataOptOut, WithConfig).
type Option func(*settings) error

// settings is what options write: the config plus what is not part of it.
type settings struct {
	Config
	tags      []string  // WithTags: added to the session's tags
	processor processor // test hook: replaces the exporter
}

func defaultConfig() Config {
	return Config{
		APIEndpoint:      DefaultAPIEndpoint,
		AppURL:           DefaultAppURL,
		TraceName:        DefaultTraceName,
		AutoStartSession: true,
		MaxQueueSize:     DefaultQueueSize,
		MaxWaitTime:      DefaultMaxWaitTime,
		LogLevel:         slog.LevelInfo,
	}
}

// fromEnv overlays the environment on c; a malformed value is an error
// naming the variable.
func (c *Config) fromEnv() error {
	var errs []error
	str := func(name string, dst *string) {
		if v, ok := os.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			*dst = strings.TrimSpace(v)
		}
	}
	boolean := func(name string, dst *bool) {
		if v, ok := os.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want true or false", name, v))
				return
			}
			*dst = b
		}
	}
	integer := func(name string) (int, bool) {
		v, ok := os.LookupEnv(name)
		if !ok || strings.TrimSpace(v) == "" {
			return 0, false
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive integer", name, v))
			return 0, false
		}
		return n, true
	}
	str(EnvAPIKey, &c.APIKey)
	str(EnvAPIEndpoint, &c.APIEndpoint)
	str(EnvExporterEndpoint, &c.ExporterEndpoint)
	str(EnvAppURL, &c.AppURL)
	if v := os.Getenv(EnvDefaultTags); strings.TrimSpace(v) != "" {
		c.DefaultTags = splitTags(v)
	}
	str(EnvTraceName, &c.TraceName)
	boolean(EnvAutoStartSession, &c.AutoStartSession)
	if n, ok := integer(EnvMaxQueueSize); ok {
		c.MaxQueueSize = n
	}
	if n, ok := integer(EnvMaxWaitTime); ok {
		c.MaxWaitTime = time.Duration(n) * time.Millisecond
	}
	boolean(EnvEnvDataOptOut, &c.EnvDataOptOut)
	if v := os.Getenv(EnvLogLevel); strings.TrimSpace(v) != "" {
		l, err := parseLevel(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvLogLevel, err))
		} else {
			c.LogLevel = l
		}
	}
	str(EnvInheritedSessionID, &c.InheritedSessionID)
	return errors.Join(errs...)
}

// validate checks the fields an option or the environment can get wrong.
func (c *Config) validate() error {
	var errs []error
	for name, u := range map[string]string{"API endpoint": c.APIEndpoint, "exporter endpoint": c.ExporterEndpoint, "app URL": c.AppURL} {
		if u == "" && name != "API endpoint" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q: want an http or https URL", name, u))
		}
	}
	if c.MaxQueueSize <= 0 {
		errs = append(errs, fmt.Errorf("max queue size %d: must be positive", c.MaxQueueSize))
	}
	if c.MaxWaitTime <= 0 {
		errs = append(errs, fmt.Errorf("max wait time %v: must be positive", c.MaxWaitTime))
	}
	if c.InheritedSessionID != "" {
		if _, err := ParseSessionID(c.InheritedSessionID); err != nil {
			errs = append(errs, fmt.Errorf("inherited session id: %w", err))
		}
	}
	return errors.Join(errs...)
}

func splitTags(s string) []string {
	var tags []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// parseLevel reads the Python SDK's level names (and slog's).
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q: want DEBUG, INFO, WARNING, ERROR or CRITICAL", s)
}

// ParseSessionID reads a session id: 32 hex digits, or the same 16 bytes as
// a dashed UUID (as older AgentOps SDKs name sessions).
func ParseSessionID(s string) (trace.TraceID, error) {
	h := strings.ReplaceAll(strings.TrimSpace(s), "-", "")
	var id trace.TraceID
	if len(h) != 32 {
		return id, fmt.Errorf("invalid session id %q: must be 32 hex digits (or a UUID)", s)
	}
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, fmt.Errorf("invalid session id %q: must be 32 hex digits (or a UUID)", s)
	}
	if !id.IsValid() {
		return id, fmt.Errorf("invalid session id %q: all zero", s)
	}
	return id, nil
}

// WithAPIKey sets the project's API key (AGENTOPS_API_KEY).
func WithAPIKey(key string) Option {
	return func(s *settings) error { s.APIKey = key; return nil }
}

// WithAPIEndpoint sets the server's base URL (AGENTOPS_API_ENDPOINT), default
// http://localhost:4318.
func WithAPIEndpoint(u string) Option {
	return func(s *settings) error { s.APIEndpoint = strings.TrimRight(u, "/"); return nil }
}

// WithExporterEndpoint sets the OTLP traces URL (AGENTOPS_EXPORTER_ENDPOINT),
// default the API endpoint + "/v1/traces".
func WithExporterEndpoint(u string) Option {
	return func(s *settings) error { s.ExporterEndpoint = u; return nil }
}

// WithAppURL sets the dashboard's base URL (AGENTOPS_APP_URL).
func WithAppURL(u string) Option {
	return func(s *settings) error { s.AppURL = strings.TrimRight(u, "/"); return nil }
}

// WithDefaultTags sets the tags every session starts with
// (AGENTOPS_DEFAULT_TAGS, comma-separated). On StartSession it replaces the
// client's default tags for that session.
func WithDefaultTags(tags ...string) Option {
	return func(s *settings) error { s.DefaultTags = cloneTags(tags); return nil }
}

// WithTags adds tags to one session, on top of the default tags (the
// tags argument of Python's start_session).
func WithTags(tags ...string) Option {
	return func(s *settings) error { s.tags = append(s.tags, tags...); return nil }
}

// WithTraceName sets the name of sessions' root spans (AGENTOPS_TRACE_NAME),
// default "session".
func WithTraceName(name string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(name) == "" {
			return errors.New("trace name: must not be empty")
		}
		s.TraceName = name
		return nil
	}
}

// WithAutoStartSession sets whether Init starts a session
// (AGENTOPS_AUTO_START_SESSION), default true.
func WithAutoStartSession(on bool) Option {
	return func(s *settings) error { s.AutoStartSession = on; return nil }
}

// WithMaxQueueSize bounds the spans waiting for export
// (AGENTOPS_MAX_QUEUE_SIZE); beyond it new spans are dropped and counted.
func WithMaxQueueSize(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return fmt.Errorf("max queue size %d: must be positive", n)
		}
		s.MaxQueueSize = n
		return nil
	}
}

// WithMaxWaitTime sets the longest a span waits before its batch is sent
// (AGENTOPS_MAX_WAIT_TIME, in milliseconds).
func WithMaxWaitTime(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return fmt.Errorf("max wait time %v: must be positive", d)
		}
		s.MaxWaitTime = d
		return nil
	}
}

// WithEnvDataOptOut leaves the host environment (OS, host name, CPU,
// memory, Go version, working directory) off the root span
// (AGENTOPS_ENV_DATA_OPT_OUT).
func WithEnvDataOptOut(optOut bool) Option {
	return func(s *settings) error { s.EnvDataOptOut = optOut; return nil }
}

// WithLogLevel sets the level of the default logger (AGENTOPS_LOG_LEVEL).
func WithLogLevel(l slog.Level) Option {
	return func(s *settings) error { s.LogLevel = l; return nil }
}

// WithLogger sends the SDK's warnings to l instead of stderr.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error { s.Logger = l; return nil }
}

// WithInheritedSessionID joins a session started by another process
// (AGENTOPS_INHERITED_SESSION_ID): 32 hex digits or a UUID. See StartSession.
func WithInheritedSessionID(id string) Option {
	return func(s *settings) error {
		if _, err := ParseSessionID(id); err != nil {
			return err
		}
		s.InheritedSessionID = id
		return nil
	}
}

// WithSignalHandler makes the client end its open sessions as Failure with
// reason "interrupted" on SIGINT or SIGTERM, flush, and then let the signal
// take its default effect (the process ends). Off by default: a library
// does not take signals unless asked.
func WithSignalHandler(on bool) Option {
	return func(s *settings) error { s.SignalHandler = on; return nil }
}

// WithHTTPClient sets the HTTP client of the export and the stats look-up.
func WithHTTPClient(c *http.Client) Option {
	return func(s *settings) error { s.HTTPClient = c; return nil }
}

// WithConfig applies a Config to one session (see Config).
func WithConfig(c Config) Option {
	return func(s *settings) error {
		if c.DefaultTags != nil {
			s.DefaultTags = cloneTags(c.DefaultTags)
		}
		if c.TraceName != "" {
			s.TraceName = c.TraceName
		}
		if c.InheritedSessionID != "" {
			if _, err := ParseSessionID(c.InheritedSessionID); err != nil {
				return err
			}
			s.InheritedSessionID = c.InheritedSessionID
		}
		if c.EnvDataOptOut {
			s.EnvDataOptOut = true
		}
		return nil
	}
}

// withSpanProcessor replaces the exporter with sp (tests).
func withSpanProcessor(sp processor) Option {
	return func(s *settings) error { s.processor = sp; return nil }
}

func cloneTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
