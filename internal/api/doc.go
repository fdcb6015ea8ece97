// Package api serves the REST export of sessions: the statistics of one
// session (GET /v2/sessions/{id}/stats), its complete export
// (GET /v2/sessions/{id}/export) and the list of a project's sessions
// (GET /v2/sessions). docs/API.md is the reference of every field.
//
// The handlers read a store.SessionReader and nothing else. The project
// comes from the request's credential: the server's auth middleware puts it
// in the context with WithProject, and no handler reads a project from the
// request itself. A session of another project is answered exactly like a
// session that does not exist, so existence never leaks across projects.
//
// Stats, Export and List are the same computations as plain functions, so
// the CLI prints exactly what the API answers.
package api
