package main

import (
	"context"
	"fmt"
	"io"

	"github.com/agentops-go/agentops/internal/loadgen"
)

func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("loadgen", "loadgen [--endpoint URL] [--api-key KEY] [--connections N] [--duration D] ...", stderr)
	cfg := loadgen.RegisterFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "agentops loadgen: unexpected argument %q\n", pos[0])
		return errUsage
	}
	cfg.Out, cfg.Log = stdout, stderr
	_, err = loadgen.Run(ctx, *cfg)
	return err
}
