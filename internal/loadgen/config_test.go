package loadgen

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestTracesURL(t *testing.T) {
	tests := []struct {
		endpoint, want, err string
	}{
		{"http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces", ""},
		{"http://127.0.0.1:4318/", "http://127.0.0.1:4318/v1/traces", ""},
		{"https://collector.example.com/otlp/v1/traces", "https://collector.example.com/otlp/v1/traces", ""},
		{"localhost:4318", "http://localhost:4318/v1/traces", ""},
		{"", "", "empty"},
		{"ftp://host", "", "scheme"},
		{"http://", "", "no host"},
	}
	for _, tt := range tests {
		c := Config{Endpoint: tt.endpoint}
		got, err := c.TracesURL()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want one mentioning %q", tt.endpoint, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.endpoint, got, err, tt.want)
		}
	}
}

func TestRegisterFlags(t *testing.T) {
	t.Setenv(APIKeyEnv, "from-env")
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	cfg := RegisterFlags(fs)
	if cfg.APIKey != "from-env" {
		t.Errorf("api key %q, want it from $%s", cfg.APIKey, APIKeyEnv)
	}
	err := fs.Parse([]string{
		"--endpoint", "http://h:1", "--header", "X-A=1", "--header", "X-B = two=2",
		"--connections", "3", "--requests", "100", "--warmup", "0s", "--encoding", "JSON",
		"--gzip", "--unique=false", "--pool", "5", "--spans", "100", "--traces", "10", "--json",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"X-A": "1", "X-B": "two=2"}
	if len(cfg.Headers) != 2 || cfg.Headers["X-A"] != want["X-A"] || cfg.Headers["X-B"] != want["X-B"] {
		t.Errorf("headers %v, want %v", cfg.Headers, want)
	}
	if cfg.Endpoint != "http://h:1" || cfg.Connections != 3 || cfg.Requests != 100 || cfg.Warmup != 0 ||
		cfg.Encoding != EncodingJSON || !cfg.Gzip || cfg.UniqueIDs || cfg.PoolSize != 5 ||
		cfg.SpansPerRequest != 100 || cfg.TracesPerRequest != 10 || !cfg.JSON || cfg.Duration != 30*time.Second {
		t.Errorf("parsed %+v", *cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	for _, bad := range [][]string{{"--encoding", "xml"}, {"--header", "novalue"}} {
		fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
		fs.SetOutput(new(strings.Builder))
		RegisterFlags(fs)
		if err := fs.Parse(bad); err == nil {
			t.Errorf("%v parsed without error", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		err    string
	}{
		{"defaults", func(*Config) {}, ""},
		{"no connections", func(c *Config) { c.Connections = 0 }, "connections"},
		{"no length", func(c *Config) { c.Duration = 0 }, "duration"},
		{"requests without duration", func(c *Config) { c.Duration, c.Requests = 0, 10 }, ""},
		{"more traces than spans", func(c *Config) { c.SpansPerRequest, c.TracesPerRequest = 10, 20 }, "cannot fill"},
		{"empty pool", func(c *Config) { c.PoolSize = 0 }, "pool"},
		{"unknown encoding", func(c *Config) { c.Encoding = "xml" }, "encoding"},
		{"bad endpoint", func(c *Config) { c.Endpoint = "ftp://x" }, "scheme"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.change(&c)
		err := c.Validate()
		if (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: Validate() = %v, want an error mentioning %q", tt.name, err, tt.err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"2", 2 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"86400", maxRetryAfter, true},
		{now.Add(3 * time.Second).Format(timeFormatHTTP), 3 * time.Second, true},
		{now.Add(-time.Hour).Format(timeFormatHTTP), 0, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.header, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

const timeFormatHTTP = "Mon, 02 Jan 2006 15:04:05 GMT"
