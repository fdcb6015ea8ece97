package demo_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/agentops-go/agentops/internal/demo"
	"github.com/agentops-go/agentops/internal/server"
)

// Fill a store with demo sessions through the server's own pipeline, as
// `agentops demo --data DIR` does (and as a handler test can).
func ExampleWrite() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "agentops-demo-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := server.OpenStore(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if _, err := server.EnsureDefaultProject(ctx, st); err != nil {
		log.Fatal(err)
	}
	projects, err := st.ListProjects(ctx)
	if err != nil {
		log.Fatal(err)
	}
	pipe, committer := server.NewPipeline(server.DefaultConfig(), st, st, nil)
	defer committer.Close() // before st.Close: defers run last-in first-out

	td := demo.Generate(demo.Config{Seed: 1, Sessions: 20, Now: time.Now()})
	res, err := demo.Write(ctx, pipe, st, projects[0].ID, td, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Sessions, "sessions,", res.Unpriced, "unpriced call, priced:", res.CostUSD > 0)
	// Output: 20 sessions, 1 unpriced call, priced: true
}
