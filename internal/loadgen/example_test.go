package loadgen_test

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"

	"github.com/agentops-go/agentops/internal/loadgen"
)

// The `agentops loadgen` command: flags in, report out, SIGINT stops the run
// and still prints what was measured.
func Example() {
	fs := flag.NewFlagSet("loadgen", flag.ExitOnError)
	cfg := loadgen.RegisterFlags(fs)
	_ = fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := loadgen.Run(ctx, *cfg)
	if err != nil {
		log.Fatal(err)
	}
	if res.SpansAccepted == 0 {
		os.Exit(1)
	}
}
