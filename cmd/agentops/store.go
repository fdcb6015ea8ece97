package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/store"
)

// storeFlags are the flags of every command that works on the data directory.
type storeFlags struct {
	dataDir string
	project string
}

func (f *storeFlags) register(fs *flag.FlagSet, withProject bool) {
	server.RegisterDataFlag(fs, &f.dataDir)
	if withProject {
		fs.StringVar(&f.project, "project", "", "project name (default: the only project, if there is one)")
	}
}

func (f *storeFlags) open() (store.Store, error) { return server.OpenStore(f.dataDir) }

// resolveProject finds the project named by --project, or the only project.
func (f *storeFlags) resolveProject(ctx context.Context, st store.Store) (store.Project, error) {
	if f.project != "" {
		p, err := st.ProjectByName(ctx, f.project)
		if errors.Is(err, store.ErrNotFound) {
			return p, fmt.Errorf("no project named %q", f.project)
		}
		return p, err
	}
	ps, err := st.ListProjects(ctx)
	if err != nil {
		return store.Project{}, err
	}
	switch len(ps) {
	case 0:
		return store.Project{}, fmt.Errorf("no project yet in %s: run 'agentops serve' once or 'agentops keys create --project NAME'", f.dataDir)
	case 1:
		return ps[0], nil
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return store.Project{}, fmt.Errorf("several projects (%s): choose one with --project", strings.Join(names, ", "))
}
