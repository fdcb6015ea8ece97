package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/agentops-go/agentops/internal/store"
)

// Times are stored as Unix nanoseconds and read back in UTC.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// CreateProject implements store.Projects.
func (s *Store) CreateProject(ctx context.Context, name string) (store.Project, error) {
	if name == "" {
		return store.Project{}, errors.New("sqlite: create project: empty name")
	}
	p := store.Project{ID: uuid.NewString(), Name: name, CreatedAt: fromNanos(time.Now().UnixNano())}
	res, err := s.wdb.ExecContext(ctx, `INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)
ON CONFLICT DO NOTHING`, p.ID, p.Name, p.CreatedAt.UnixNano())
	if err := affected(res, err, store.ErrExists); err != nil {
		return store.Project{}, fmt.Errorf("sqlite: create project %q: %w", name, err)
	}
	return p, nil
}

// ProjectByName implements store.Projects.
func (s *Store) ProjectByName(ctx context.Context, name string) (store.Project, error) {
	return s.project(ctx, "name", name)
}

// Project implements store.Projects.
func (s *Store) Project(ctx context.Context, id string) (store.Project, error) {
	return s.project(ctx, "id", id)
}

func (s *Store) project(ctx context.Context, column, v string) (store.Project, error) {
	var p store.Project
	var created int64
	err := s.rdb.QueryRowContext(ctx, `SELECT id, name, created_at FROM projects WHERE `+column+` = ?`, v).
		Scan(&p.ID, &p.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("sqlite: project %s %q: %w", column, v, err)
	}
	p.CreatedAt = fromNanos(created)
	return p, nil
}

// ListProjects implements store.Projects, by name.
func (s *Store) ListProjects(ctx context.Context) ([]store.Project, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name, created_at FROM projects ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list projects: %w", err)
	}
	defer rows.Close()
	var ps []store.Project
	for rows.Next() {
		var p store.Project
		var created int64
		if err := rows.Scan(&p.ID, &p.Name, &created); err != nil {
			return nil, fmt.Errorf("sqlite: list projects: %w", err)
		}
		p.CreatedAt = fromNanos(created)
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list projects: %w", err)
	}
	return ps, nil
}

// AddKey implements store.Keys; ErrExists for a hash already stored.
func (s *Store) AddKey(ctx context.Context, k store.Key) error {
	if len(k.Hash) == 0 {
		return errors.New("sqlite: add key: empty hash")
	}
	var revoked any
	if k.RevokedAt != nil {
		revoked = k.RevokedAt.UnixNano()
	}
	res, err := s.wdb.ExecContext(ctx, `INSERT INTO api_keys (hash, prefix, project_id, created_at, revoked_at)
VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, k.Hash, k.Prefix, k.ProjectID, k.CreatedAt.UnixNano(), revoked)
	if err := affected(res, err, store.ErrExists); err != nil {
		return fmt.Errorf("sqlite: add key %s: %w", k.Prefix, err)
	}
	return nil
}

const keyColumns = `k.hash, k.prefix, k.project_id, coalesce(p.name, ''), k.created_at, k.revoked_at
FROM api_keys k LEFT JOIN projects p ON p.id = k.project_id`

// KeyByHash implements store.Keys.
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	k, err := scanKey(s.rdb.QueryRowContext(ctx, `SELECT `+keyColumns+` WHERE k.hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return k, store.ErrNotFound
	}
	if err != nil {
		return k, fmt.Errorf("sqlite: key by hash: %w", err)
	}
	return k, nil
}

// ListKeys implements store.Keys, oldest first.
func (s *Store) ListKeys(ctx context.Context) ([]store.Key, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+keyColumns+` ORDER BY k.created_at, k.prefix, k.hash`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	defer rows.Close()
	var ks []store.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list keys: %w", err)
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	return ks, nil
}

func scanKey(r scanner) (store.Key, error) {
	var k store.Key
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&k.Hash, &k.Prefix, &k.ProjectID, &k.Project, &created, &revoked); err != nil {
		return k, err
	}
	k.CreatedAt = fromNanos(created)
	if revoked.Valid {
		t := fromNanos(revoked.Int64)
		k.RevokedAt = &t
	}
	return k, nil
}

// RevokeKey implements store.Keys. Revoking a revoked key keeps the first
// revocation time.
func (s *Store) RevokeKey(ctx context.Context, hash []byte, at time.Time) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE hash = ?`, at.UnixNano(), hash)
	if err := affected(res, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("sqlite: revoke key: %w", err)
	}
	return nil
}

// SetPrice implements store.Prices.
func (s *Store) SetPrice(ctx context.Context, projectID string, p store.Price) error {
	if p.Model == "" {
		return errors.New("sqlite: set price: empty model")
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO prices (project_id, model, input, output, cache_read, cache_write, reasoning)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project_id, model) DO UPDATE SET input = excluded.input, output = excluded.output,
	cache_read = excluded.cache_read, cache_write = excluded.cache_write, reasoning = excluded.reasoning`,
		projectID, p.Model, p.Input, p.Output, p.CacheRead, p.CacheWrite, p.Reasoning)
	if err != nil {
		return fmt.Errorf("sqlite: set price of %q: %w", p.Model, err)
	}
	return nil
}

// DeletePrice implements store.Prices.
func (s *Store) DeletePrice(ctx context.Context, projectID, model string) error {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM prices WHERE project_id = ? AND model = ?`, projectID, model)
	if err := affected(res, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("sqlite: delete price of %q: %w", model, err)
	}
	return nil
}

// ProjectPrices implements store.Prices, by model name.
func (s *Store) ProjectPrices(ctx context.Context, projectID string) ([]store.Price, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT model, input, output, cache_read, cache_write, reasoning
FROM prices WHERE project_id = ? ORDER BY model`, projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: prices: %w", err)
	}
	defer rows.Close()
	var ps []store.Price
	for rows.Next() {
		var p store.Price
		if err := rows.Scan(&p.Model, &p.Input, &p.Output, &p.CacheRead, &p.CacheWrite, &p.Reasoning); err != nil {
			return nil, fmt.Errorf("sqlite: prices: %w", err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: prices: %w", err)
	}
	return ps, nil
}

// affected turns an Exec that changed no row into none.
func affected(res sql.Result, err error, none error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return none
	}
	return nil
}
