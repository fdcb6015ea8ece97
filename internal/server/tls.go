package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certificate is the TLS certificate both listeners serve (--tls-cert,
// --tls-key). It is read when the server starts — a missing or mismatched
// file is a startup error — and read again when either file changes, so a
// renewed certificate is served without a restart: a handshake looks at
// the files' modification times and sizes at most once per recheck. A
// reload that fails (a half-written file) keeps the certificate in use and
// logs why.
type certificate struct {
	certFile, keyFile string
	log               *slog.Logger
	recheck           time.Duration

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // the files' modification times and sizes when cert was read
	checked time.Time
}

const certRecheck = 10 * time.Second

func loadCertificate(certFile, keyFile string, log *slog.Logger) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile, log: log, recheck: certRecheck}
	stamp, err := c.fileStamp()
	if err == nil {
		err = c.load(stamp)
	}
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s / --tls-key %s: %w", certFile, keyFile, err)
	}
	return c, nil
}

func (c *certificate) fileStamp() (string, error) {
	var stamp string
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		stamp += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return stamp, nil
}

// load reads the pair; c.mu is held (or c is not shared yet).
func (c *certificate) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.cert, c.stamp = &cert, stamp
	return nil
}

// get is tls.Config.GetCertificate.
func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) >= c.recheck {
		c.checked = now
		stamp, err := c.fileStamp()
		if err == nil && stamp != c.stamp {
			err = c.load(stamp)
			if err == nil {
				c.log.Info("TLS certificate reloaded", "cert", c.certFile)
			}
		}
		if err != nil {
			c.log.Warn("TLS certificate not reloaded; serving the one in use", "err", err)
		}
	}
	return c.cert, nil
}

// tlsConfig is the configuration of both listeners; nil without TLS.
func (s *Server) tlsConfig() *tls.Config {
	if s.cert == nil {
		return nil
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.cert.get}
}

// Scheme is "https" when the server serves TLS, else "http".
func (s *Server) Scheme() string {
	if s.cert != nil {
		return "https"
	}
	return "http"
}
