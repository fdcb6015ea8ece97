package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/pricing"
)

// perMillion converts the CLI's unit (USD per million tokens, as providers
// publish prices) to the store's (USD per token).
const perMillion = 1e6

func runPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, `Usage (prices in USD per million tokens):
  agentops prices list [MODEL-SUBSTRING] [--project P]   built-in table and the project's overrides
  agentops prices set MODEL --input X --output Y [--cache-read R] [--cache-write W] [--reasoning Z] [--project P]
  agentops prices delete MODEL [--project P]`)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	var f storeFlags
	switch args[0] {
	case "list":
		fs := newFlagSet("prices list", "prices list [MODEL-SUBSTRING] [--project P]", stderr)
		f.register(fs, true)
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		filter := strings.ToLower(strings.Join(pos, " "))
		st, p, err := openProject(ctx, &f)
		if err != nil {
			return err
		}
		defer st.Close()
		overrides, err := st.ProjectPrices(ctx, p.ID)
		if err != nil {
			return err
		}
		t := pricing.Default()
		fmt.Fprintf(stdout, "Price table %s (%s). USD per million tokens.\n", t.Version(), t.Date())
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MODEL\tPROVIDER\tINPUT\tOUTPUT\tCACHE READ\tCACHE WRITE\tREASONING\tSOURCE")
		for _, o := range overrides {
			if strings.Contains(strings.ToLower(o.Model), filter) {
				fmt.Fprintf(tw, "%s\t-\t%s\t%s\t%s\t%s\t%s\toverride (%s)\n", o.Model, m(o.Input), m(o.Output), m(o.CacheRead), m(o.CacheWrite), m(o.Reasoning), p.Name)
			}
		}
		for _, e := range t.Entries() {
			if strings.Contains(strings.ToLower(e.Model), filter) {
				pr := e.Price
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\ttable\n", e.Model, e.Provider, m(pr.Input), m(pr.Output), m(pr.CacheRead), m(pr.CacheWrite), m(pr.Reasoning))
			}
		}
		return tw.Flush()

	case "set":
		fs := newFlagSet("prices set", "prices set MODEL --input X --output Y [--cache-read R] [--cache-write W] [--reasoning Z] [--project P]", stderr)
		f.register(fs, true)
		in := fs.Float64("input", -1, "input price, USD per million tokens (required)")
		out := fs.Float64("output", -1, "output price, USD per million tokens (required)")
		cr := fs.Float64("cache-read", 0, "cached input price (default: the input price)")
		cw := fs.Float64("cache-write", 0, "cache creation price (default: the input price)")
		rs := fs.Float64("reasoning", 0, "reasoning output price (default: the output price)")
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 || *in < 0 || *out < 0 {
			fmt.Fprintln(stderr, "agentops prices set: give one MODEL and both --input and --output (USD per million tokens)")
			return errUsage
		}
		price := pricing.Price{Input: *in / perMillion, Output: *out / perMillion, CacheRead: *cr / perMillion, CacheWrite: *cw / perMillion, Reasoning: *rs / perMillion}.WithDefaults()
		if err := price.Validate(); err != nil {
			return err
		}
		st, p, err := openProject(ctx, &f)
		if err != nil {
			return err
		}
		defer st.Close()
		err = st.SetPrice(ctx, p.ID, store.Price{Model: pos[0], Input: price.Input, Output: price.Output, CacheRead: price.CacheRead, CacheWrite: price.CacheWrite, Reasoning: price.Reasoning})
		if err != nil {
			return err
		}
		// A running server re-reads overrides every 5 s (ingest.Pricer).
		fmt.Fprintf(stderr, "price of %s set for project %s; it applies to spans ingested from now on (by a running server, within 5 seconds)\n", pos[0], p.Name)
		return nil

	case "delete":
		fs := newFlagSet("prices delete", "prices delete MODEL [--project P]", stderr)
		f.register(fs, true)
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			fmt.Fprintln(stderr, "agentops prices delete: give exactly one MODEL")
			return errUsage
		}
		st, p, err := openProject(ctx, &f)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.DeletePrice(ctx, p.ID, pos[0]); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("project %s has no price override for %s", p.Name, pos[0])
		} else if err != nil {
			return err
		}
		return nil
	}
	fmt.Fprintf(stderr, "agentops prices: unknown subcommand %q (list, set, delete)\n", args[0])
	return errUsage
}

func m(perToken float64) string { return fmt.Sprintf("%.4g", perToken*perMillion) }
