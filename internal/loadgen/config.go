package loadgen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"
)

// Encoding is the OTLP/HTTP body encoding.
type Encoding string

// Encodings an OTLP/HTTP receiver must accept.
const (
	EncodingProto Encoding = "proto" // application/x-protobuf
	EncodingJSON  Encoding = "json"  // application/json, ids in hex
)

// APIKeyHeader carries the project's API key on every request.
const APIKeyHeader = "X-Agentops-Api-Key"

// APIKeyEnv is the environment variable the --api-key flag defaults to.
const APIKeyEnv = "AGENTOPS_API_KEY"

// Config describes one load run. Start from DefaultConfig or RegisterFlags.
type Config struct {
	// Endpoint is the OTLP/HTTP base URL; /v1/traces is appended when it has
	// no path. A missing scheme means http.
	Endpoint string
	APIKey   string            // sent as X-Agentops-Api-Key when not empty
	Headers  map[string]string // extra request headers

	Connections int           // concurrent workers, one keep-alive connection each
	Duration    time.Duration // measured run length; ignored when Requests > 0
	Requests    int           // measured requests to send in total; 0 means run for Duration
	Warmup      time.Duration // sent before the measured run and left out of the figures
	Timeout     time.Duration // per request, upload and response included

	SpansPerRequest  int
	TracesPerRequest int
	Encoding         Encoding
	Gzip             bool
	PoolSize         int  // distinct pre-encoded bodies
	UniqueIDs        bool // fresh trace and span ids on every request
	Insecure         bool // skip TLS certificate verification

	JSON bool      // write the report as JSON instead of text
	Out  io.Writer // where the report goes; nil writes none
	Log  io.Writer // one line when the run starts; nil writes none
}

// DefaultConfig returns the defaults the flags document; Out and Log are nil.
func DefaultConfig() Config {
	return Config{
		Endpoint:         "http://127.0.0.1:4318",
		Connections:      8,
		Duration:         30 * time.Second,
		Warmup:           2 * time.Second,
		Timeout:          30 * time.Second,
		SpansPerRequest:  512,
		TracesPerRequest: 50,
		Encoding:         EncodingProto,
		PoolSize:         64,
		UniqueIDs:        true,
	}
}

// RegisterFlags registers the loadgen flags on fs and returns the Config they
// fill in when fs is parsed. The API key defaults to $AGENTOPS_API_KEY, the
// report goes to stdout and the start line to stderr.
func RegisterFlags(fs *flag.FlagSet) *Config {
	cfg := DefaultConfig()
	cfg.APIKey = os.Getenv(APIKeyEnv)
	cfg.Headers = map[string]string{}
	cfg.Out, cfg.Log = os.Stdout, os.Stderr

	fs.StringVar(&cfg.Endpoint, "endpoint", cfg.Endpoint, "OTLP/HTTP endpoint; /v1/traces is appended when the URL has no path")
	fs.StringVar(&cfg.APIKey, "api-key", cfg.APIKey, "API key sent as "+APIKeyHeader+" (default $"+APIKeyEnv+")")
	fs.Var((*headerFlag)(&cfg.Headers), "header", "extra request header `K=V` (repeatable)")
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, "concurrent workers, one keep-alive HTTP/1.1 connection each")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "length of the measured run (ignored when --requests is set)")
	fs.IntVar(&cfg.Requests, "requests", cfg.Requests, "send this many measured requests instead of running for --duration")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "load sent before the measured run, left out of the figures")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "per-request timeout")
	fs.IntVar(&cfg.SpansPerRequest, "spans", cfg.SpansPerRequest, "spans per request")
	fs.IntVar(&cfg.TracesPerRequest, "traces", cfg.TracesPerRequest, "traces (sessions) per request")
	fs.Var((*encodingFlag)(&cfg.Encoding), "encoding", "body encoding: proto or json")
	fs.BoolVar(&cfg.Gzip, "gzip", cfg.Gzip, "gzip request bodies (with unique ids each body is re-compressed, at client CPU cost)")
	fs.IntVar(&cfg.PoolSize, "pool", cfg.PoolSize, "distinct request bodies encoded before the run")
	fs.BoolVar(&cfg.UniqueIDs, "unique", cfg.UniqueIDs, "fresh trace and span ids on every request; false repeats them every --pool requests")
	fs.BoolVar(&cfg.Insecure, "insecure", cfg.Insecure, "skip TLS certificate verification")
	fs.BoolVar(&cfg.JSON, "json", cfg.JSON, "print the result as JSON")
	return &cfg
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	if _, err := c.TracesURL(); err != nil {
		return err
	}
	switch {
	case c.Connections < 1:
		return errors.New("loadgen: connections must be at least 1")
	case c.Requests < 0:
		return errors.New("loadgen: requests must not be negative")
	case c.Requests == 0 && c.Duration <= 0:
		return errors.New("loadgen: set a positive duration or a number of requests")
	case c.Warmup < 0:
		return errors.New("loadgen: warmup must not be negative")
	case c.Timeout <= 0:
		return errors.New("loadgen: timeout must be positive")
	case c.TracesPerRequest < 1:
		return errors.New("loadgen: traces per request must be at least 1")
	case c.SpansPerRequest < c.TracesPerRequest:
		return fmt.Errorf("loadgen: %d spans cannot fill %d traces", c.SpansPerRequest, c.TracesPerRequest)
	case c.PoolSize < 1:
		return errors.New("loadgen: pool must hold at least 1 body")
	case c.Encoding != EncodingProto && c.Encoding != EncodingJSON:
		return fmt.Errorf("loadgen: unknown encoding %q (want proto or json)", c.Encoding)
	}
	return nil
}

// TracesURL is the URL requests are posted to.
func (c *Config) TracesURL() (string, error) {
	raw := strings.TrimSpace(c.Endpoint)
	if raw == "" {
		return "", errors.New("loadgen: endpoint is empty")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("loadgen: endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("loadgen: endpoint scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("loadgen: endpoint %q has no host", c.Endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

type headerFlag map[string]string

func (h *headerFlag) String() string {
	if h == nil {
		return ""
	}
	parts := make([]string, 0, len(*h))
	for k, v := range *h {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (h *headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return fmt.Errorf("header %q is not K=V", s)
	}
	if *h == nil {
		*h = map[string]string{}
	}
	(*h)[k] = strings.TrimSpace(v)
	return nil
}

type encodingFlag Encoding

func (e *encodingFlag) String() string { return string(*e) }

func (e *encodingFlag) Set(s string) error {
	switch enc := Encoding(strings.ToLower(s)); enc {
	case EncodingProto, EncodingJSON:
		*e = encodingFlag(enc)
		return nil
	}
	return fmt.Errorf("encoding %q is not proto or json", s)
}
