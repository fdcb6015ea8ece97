package api

import "context"

type projectKey struct{}

// WithProject returns a context carrying the project a request is
// authenticated for. The server's auth middleware calls it; the handlers of
// this package refuse (401) a request whose context carries no project.
func WithProject(ctx context.Context, projectID string) context.Context {
	return context.WithValue(ctx, projectKey{}, projectID)
}

// ProjectFrom returns the project put in ctx by WithProject. An empty
// project id counts as none.
func ProjectFrom(ctx context.Context) (string, bool) {
	id, _ := ctx.Value(projectKey{}).(string)
	return id, id != ""
}
