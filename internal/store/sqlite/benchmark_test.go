package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store/storetest"
)

// BenchmarkWriteSpans measures the durable write path as the ingest group
// commit drives it: each WriteSpans call carries the spans of several
// requests of 512 spans (50 traces of ~10 spans, ~1.1 KB each on the wire),
// on a file with synchronous=FULL.
//
// "new" writes fresh traces at every call (each chunk inserts a session);
// "continued" spreads each trace over 4 calls, so 3 of 4 session upserts
// update an existing row, as long agent runs exported in batches do.
//
// AGENTOPS_BENCH_PREFILL=2000000 first writes that many spans (in traces
// of 10), so that the tables are much larger than the page cache, as in
// production: random trace ids then touch distinct pages at every commit,
// which a small prefill hides. The prefilled file is made once per run and
// copied for each benchmark. AGENTOPS_BENCH_PAGE_SIZE sets the page size of
// the files. written-B/span counts what the process wrote to disk (WAL and
// checkpoints) per span, on Linux.
func BenchmarkWriteSpans(b *testing.B) {
	if n, _ := strconv.Atoi(os.Getenv("AGENTOPS_BENCH_PAGE_SIZE")); n > 0 {
		defer func(old int) { pageSize = old }(pageSize)
		pageSize = n
	}
	// The prefilled file is made by the first benchmark that needs it.
	var prefilled func() string
	if n, _ := strconv.Atoi(os.Getenv("AGENTOPS_BENCH_PREFILL")); n > 0 {
		top, path := b, ""
		prefilled = func() string {
			if path == "" {
				path = prefill(top, n)
			}
			return path
		}
	}
	for _, requests := range []int{1, 4, 8, 16} {
		for _, continued := range []bool{false, true} {
			name := fmt.Sprintf("spans=%d/new", requests*512)
			if continued {
				name = fmt.Sprintf("spans=%d/continued", requests*512)
			}
			b.Run(name, func(b *testing.B) { benchWrite(b, requests, continued, prefilled) })
		}
	}
}

func benchWrite(b *testing.B, requests int, continued bool, prefilled func() string) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	if prefilled != nil {
		if err := copyFile(path, prefilled()); err != nil {
			b.Fatal(err)
		}
	}
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 2))
	w0 := writeBytes()
	var batch []model.Span
	for range requests {
		// 50 traces: 12 of 11 spans and 38 of 10 make 512 spans.
		batch = append(batch, storetest.Payload(r, "0b6a3e5c-0000-4000-8000-000000000001", 12, 11, time.Now().UnixNano())...)
		batch = append(batch, storetest.Payload(r, "0b6a3e5c-0000-4000-8000-000000000001", 38, 10, time.Now().UnixNano())...)
	}
	var wire int64
	for i := range batch {
		wire += int64(len(batch[i].Attributes)) + 150 // ~ the protobuf framing, ids, names, resource share
	}
	b.SetBytes(wire)
	traces := make([]model.TraceID, len(batch))
	for j := range batch {
		traces[j] = batch[j].TraceID
	}
	var mask uint64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		// Fresh span ids (and trace ids, unless the traces go on) at every
		// call: a repeated chunk would be skipped as a retry. Trace ids stay
		// random where keys sort (XOR with a random word), as real ones are:
		// the traces of a call must not share a few B-tree leaves.
		if !continued || i%4 == 0 {
			mask = r.Uint64()
		}
		for j := range batch {
			sp := &batch[j]
			sp.SpanID[5], sp.SpanID[6], sp.SpanID[7] = byte(i), byte(i>>8), byte(i>>16)
			binary.BigEndian.PutUint64(sp.TraceID[:8], binary.BigEndian.Uint64(traces[j][:8])^mask)
		}
		if err := s.WriteSpans(ctx, batch, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(batch))/elapsed.Seconds(), "spans/s")
	b.ReportMetric(float64(writeBytes()-w0)/float64(b.N*len(batch)), "written-B/span")
	if st, err := s.Stats(ctx); err == nil {
		b.ReportMetric(float64(st.FileBytes+st.WALBytes)/float64(b.N*len(batch)), "disk-B/span")
	}
}

func writeBytes() int64 {
	b, _ := os.ReadFile("/proc/self/io")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// prefill writes n spans to a new file, closed (checkpointed), and returns
// its path.
func prefill(b *testing.B, n int) string {
	dir, err := os.MkdirTemp("", "agentops-bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "prefilled.db")
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < n; i += 4000 {
		if err := s.WriteSpans(context.Background(), storetest.Payload(r, "0b6a3e5c-0000-4000-8000-000000000001", 400, 10, time.Now().UnixNano()), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	// Flushed now, or the first checkpoint's fsync would write the whole
	// copy back inside the measurement.
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// BenchmarkSpanTrace measures the lookup of a span by its id alone
// (store.SpanLocator) in a file of AGENTOPS_BENCH_LOOKUP_SPANS spans
// (default 200,000; traces of 10 spans, written 4,096 spans per call as
// the group commit does): the newest span (found in the first page of
// filters), the oldest and an unknown one (a scan of every filter).
func BenchmarkSpanTrace(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("AGENTOPS_BENCH_LOOKUP_SPANS"))
	if n <= 0 {
		n = 200_000
	}
	s, err := Open(filepath.Join(b.TempDir(), "lookup.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(3, 4))
	var first, last model.Span
	for written := 0; written < n; written += 4096 {
		spans := storetest.Payload(r, "p", 4096/10, 10, time.Now().UnixNano())
		if err := s.WriteSpans(context.Background(), spans, time.Now()); err != nil {
			b.Fatal(err)
		}
		if written == 0 {
			first = spans[0]
		}
		last = spans[len(spans)-1]
	}
	for _, c := range []struct {
		name string
		id   model.SpanID
		want model.TraceID
	}{{"newest", last.SpanID, last.TraceID}, {"oldest", first.SpanID, first.TraceID}, {"unknown", model.SpanID{1, 2, 3}, model.TraceID{}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				got, err := s.SpanTrace(context.Background(), "p", c.id)
				if got != c.want || (err != nil) != c.want.IsZero() {
					b.Fatalf("SpanTrace = %s, %v; want %s", got, err, c.want)
				}
			}
		})
	}
}
