package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/store"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "Usage:\n  agentops keys create --project NAME   create a key (and the project if new); prints the key once\n  agentops keys list                    list keys (prefix, project, created, revoked)\n  agentops keys revoke KEY              revoke a key")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	var f storeFlags
	switch args[0] {
	case "create":
		fs := newFlagSet("keys create", "keys create --project NAME [--data DIR]", stderr)
		f.register(fs, true)
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		if f.project == "" {
			fmt.Fprintln(stderr, "agentops keys create: --project NAME is required")
			return errUsage
		}
		st, err := f.open()
		if err != nil {
			return err
		}
		defer st.Close()
		p, err := st.ProjectByName(ctx, f.project)
		if errors.Is(err, store.ErrNotFound) {
			p, err = st.CreateProject(ctx, f.project)
			if err == nil {
				fmt.Fprintf(stderr, "created project %q (%s)\n", p.Name, p.ID)
			}
		}
		if err != nil {
			return err
		}
		key, k := auth.NewKey()
		k.ProjectID = p.ID
		if err := st.AddKey(ctx, k); err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil

	case "list":
		fs := newFlagSet("keys list", "keys list [--data DIR]", stderr)
		f.register(fs, false)
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		st, err := f.open()
		if err != nil {
			return err
		}
		defer st.Close()
		keys, err := st.ListKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PREFIX\tPROJECT\tCREATED\tREVOKED")
		for _, k := range keys {
			revoked := "-"
			if k.RevokedAt != nil {
				revoked = k.RevokedAt.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s…\t%s\t%s\t%s\n", k.Prefix, k.Project, k.CreatedAt.Local().Format(time.DateTime), revoked)
		}
		return tw.Flush()

	case "revoke":
		fs := newFlagSet("keys revoke", "keys revoke KEY [--data DIR]", stderr)
		f.register(fs, false)
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			fmt.Fprintln(stderr, "agentops keys revoke: give exactly one KEY")
			return errUsage
		}
		hash, err := auth.HashKey(pos[0])
		if err != nil {
			return fmt.Errorf("%q is not an API key: %w", pos[0], err)
		}
		st, err := f.open()
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.RevokeKey(ctx, hash, time.Now()); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no such key")
		} else if err != nil {
			return err
		}
		fmt.Fprintln(stderr, "revoked; servers stop accepting it within seconds")
		return nil
	}
	fmt.Fprintf(stderr, "agentops keys: unknown subcommand %q (create, list, revoke)\n", args[0])
	return errUsage
}
