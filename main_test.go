package agentops_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/agentops-go/agentops"
	"github.com/agentops-go/agentops/internal/server/servertest"
)

// TestMain starts one real server for the examples, which read its address
// and key from the environment as a program would (AGENTOPS_API_ENDPOINT,
// AGENTOPS_API_KEY). Tests start servers of their own.
func TestMain(m *testing.M) {
	if os.Getenv("AGENTOPS_TEST_HELPER") != "" { // a second process: the parent set its environment
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "agentops-sdk-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tb := &mainTB{dir: dir}
	srv := servertest.Start(tb)
	os.Setenv(agentops.EnvAPIEndpoint, srv.URL)
	os.Setenv(agentops.EnvAPIKey, srv.Key)
	os.Setenv(agentops.EnvLogLevel, "ERROR")
	code := m.Run()
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// mainTB is the little of testing.TB that servertest.Start uses, for
// TestMain, which has no T.
type mainTB struct {
	testing.TB
	dir      string
	cleanups []func()
}

func (*mainTB) Helper()                           {}
func (t *mainTB) TempDir() string                 { return t.dir }
func (t *mainTB) Cleanup(f func())                { t.cleanups = append(t.cleanups, f) }
func (*mainTB) Fatal(args ...any)                 { fmt.Fprintln(os.Stderr, args...); os.Exit(1) }
func (*mainTB) Errorf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
