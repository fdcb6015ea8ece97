package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/store"
)

func runSessions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "Usage:\n  agentops sessions list [--limit N] [--tag T] [--state S] [--json]   newest first\n  agentops sessions show ID [--json]                                  one session's statistics")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "list":
		return sessionsList(ctx, args[1:], stdout, stderr)
	case "show":
		return sessionsShow(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "agentops sessions: unknown subcommand %q (list, show)\n", args[0])
	return errUsage
}

// readFlags are shared by the commands that read sessions.
type readFlags struct {
	storeFlags
	timeout time.Duration
	json    bool
}

func (f *readFlags) register(fs *flag.FlagSet) {
	f.storeFlags.register(fs, true)
	fs.DurationVar(&f.timeout, "session-timeout", server.DefaultConfig().SessionTimeout, "a session without end state silent this long reads as Indeterminate")
	fs.BoolVar(&f.json, "json", false, "print JSON (the REST API's shape)")
}

func sessionsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sessions list", "sessions list [--limit N] [--tag T] [--state S] [--project P] [--json]", stderr)
	var f readFlags
	f.register(fs)
	limit := fs.Int("limit", 20, "most sessions to list (1-1000)")
	tag := fs.String("tag", "", "only sessions with this tag")
	state := fs.String("state", "", "only sessions in this end state: Success, Failure, Indeterminate or running")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	// The same validation as the REST API's query parameters.
	q, err := api.ParseQuery(url.Values{"limit": {strconv.Itoa(*limit)}, "tag": {*tag}, "end_state": {*state}})
	if err != nil {
		return err
	}
	st, p, err := openProject(ctx, &f.storeFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	q.StaleBefore = now.Add(-f.timeout).UnixNano()
	if f.json {
		list, err := api.List(ctx, st, p.ID, q, now, f.timeout)
		if err != nil {
			return err
		}
		return printJSON(stdout, list)
	}
	page, err := st.Sessions(ctx, p.ID, q)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTARTED\tDURATION\tSTATE\tLLM\tTOOLS\tERRORS\tTOKENS\tCOST")
	for _, s := range page.Sessions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", s.ID, clip(s.Name, 32),
			time.Unix(0, s.Start).Local().Format(time.DateTime), s.Duration().Round(time.Millisecond),
			stateOf(&s, now, f.timeout), s.Counts.LLMCalls, s.Counts.ToolCalls, s.Counts.Errors, s.Usage.Total, costOf(&s))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Next != "" {
		fmt.Fprintf(stderr, "(more sessions: raise --limit)\n")
	}
	return nil
}

func sessionsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, st, p, id, err := openOneSession(ctx, "sessions show", "sessions show ID [--project P] [--json]", args, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	if f.json {
		stats, err := api.Stats(ctx, st, p.ID, id, now, f.timeout)
		if err != nil {
			return notFound(err, id)
		}
		return printJSON(stdout, stats)
	}
	s, err := st.Session(ctx, p.ID, id)
	if err != nil {
		return notFound(err, id)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Session", s.ID.String())
	row("Name", printable(s.Name))
	row("State", stateOf(&s, now, f.timeout)+reason(s.EndStateReason))
	row("Started", time.Unix(0, s.Start).Local().Format(time.RFC3339Nano))
	row("Duration", s.Duration().String())
	row("Tags", printable(strings.Join(s.Tags, ", ")))
	row("Spans", fmt.Sprint(s.Counts.Spans))
	row("LLM calls", fmt.Sprint(s.Counts.LLMCalls))
	row("Tool calls", fmt.Sprint(s.Counts.ToolCalls))
	row("Actions", fmt.Sprint(s.Counts.Actions))
	row("Errors", fmt.Sprint(s.Counts.Errors))
	row("Tokens", fmt.Sprintf("%d (prompt %d, completion %d, cache read %d, cache write %d, reasoning %d)",
		s.Usage.Total, s.Usage.Input, s.Usage.Output, s.Usage.CacheRead, s.Usage.CacheWrite, s.Usage.Reasoning))
	row("Cost", costOf(&s))
	return tw.Flush()
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, st, p, id, err := openOneSession(ctx, "export", "export ID [--project P]   (JSON of the complete session to stdout)", args, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	exp, err := api.Export(ctx, st, p.ID, id, time.Now(), f.timeout)
	if err != nil {
		return notFound(err, id)
	}
	return printJSON(stdout, exp)
}

// openOneSession parses the flags and the one ID of a command that reads a
// session, and opens the store on the chosen project. The caller closes st.
func openOneSession(ctx context.Context, name, usage string, args []string, stderr io.Writer) (f readFlags, st store.Store, p store.Project, id model.TraceID, err error) {
	fs := newFlagSet(name, usage, stderr)
	f.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return f, nil, p, id, err
	}
	if id, err = oneID(pos, stderr, name); err != nil {
		return f, nil, p, id, err
	}
	st, p, err = openProject(ctx, &f.storeFlags)
	return f, st, p, id, err
}

func openProject(ctx context.Context, f *storeFlags) (store.Store, store.Project, error) {
	st, err := f.open()
	if err != nil {
		return nil, store.Project{}, err
	}
	p, err := f.resolveProject(ctx, st)
	if err != nil {
		st.Close()
		return nil, p, err
	}
	return st, p, nil
}

func oneID(pos []string, stderr io.Writer, cmd string) (model.TraceID, error) {
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "agentops %s: give exactly one session ID\n", cmd)
		return model.TraceID{}, errUsage
	}
	return model.ParseTraceID(pos[0])
}

func notFound(err error, id model.TraceID) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("session %s not found", id)
	}
	return err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func stateOf(s *model.Session, now time.Time, timeout time.Duration) string {
	if st := s.State(now, timeout); st != "" {
		return st
	}
	return "running"
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + printable(r) + ")"
}

func costOf(s *model.Session) string {
	c := fmt.Sprintf("$%.6f", s.Cost)
	if s.Unpriced > 0 {
		c += fmt.Sprintf(" + %d unpriced", s.Unpriced)
	}
	return c
}

// printable makes text from spans safe to print to a terminal: control
// characters (C0, DEL, C1: escape sequences could retitle the window,
// write the clipboard or hide text; tabs and newlines would break the
// table) are shown as \xNN or \uNNNN, and invalid UTF-8 as U+FFFD.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clip(s string, n int) string {
	s = printable(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
