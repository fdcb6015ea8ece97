package agentops

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"

	"github.com/agentops-go/agentops/semconv"
)

// hostEnv returns the host environment recorded on a root span, gathered
// once per process. WithEnvDataOptOut leaves all of it out.
var hostEnv = sync.OnceValue(func() []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String(semconv.OSType, runtime.GOOS),
		attribute.String(semconv.HostArch, runtime.GOARCH),
		attribute.Int(semconv.HostCPUCount, runtime.NumCPU()),
		attribute.String(semconv.ProcessRuntimeName, "go"),
		attribute.String(semconv.ProcessRuntimeVersion, runtime.Version()),
		attribute.Int(semconv.ProcessRuntimeGoMaxProc, runtime.GOMAXPROCS(0)),
		attribute.String(semconv.ProcessRuntimeSDK, Version),
	}
	if h, err := os.Hostname(); err == nil {
		attrs = append(attrs, attribute.String(semconv.HostName, h))
	}
	if v, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		attrs = append(attrs, attribute.String(semconv.OSVersion, strings.TrimSpace(string(v))))
	}
	if n, ok := memTotal(); ok {
		attrs = append(attrs, attribute.Int64(semconv.HostMemoryTotal, n))
	}
	if wd, err := os.Getwd(); err == nil {
		attrs = append(attrs, attribute.String(semconv.ProcessRuntimeCwd, wd))
	}
	return attrs
})

// memTotal reads the machine's memory from /proc/meminfo (Linux only; other
// systems go without).
func memTotal() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}
