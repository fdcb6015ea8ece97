package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// PutLogin implements store.Logins, on the writer connection.
func (s *Store) PutLogin(ctx context.Context, l store.Login, now time.Time) error {
	if len(l.TokenHash) == 0 {
		return errors.New("sqlite: put login: empty token hash")
	}
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM dashboard_logins WHERE expires <= ?`, now.UnixNano()); err != nil {
		return fmt.Errorf("sqlite: drop expired logins: %w", err)
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO dashboard_logins (token_hash, expires, data) VALUES (?, ?, ?)
ON CONFLICT (token_hash) DO UPDATE SET expires = excluded.expires, data = excluded.data`,
		l.TokenHash, l.Expires.UnixNano(), l.Data)
	if err != nil {
		return fmt.Errorf("sqlite: put login: %w", err)
	}
	return nil
}

// Login implements store.Logins.
func (s *Store) Login(ctx context.Context, tokenHash []byte, now time.Time) (store.Login, error) {
	l := store.Login{TokenHash: tokenHash}
	var expires int64
	err := s.rdb.QueryRowContext(ctx, `SELECT expires, data FROM dashboard_logins WHERE token_hash = ? AND expires > ?`,
		tokenHash, now.UnixNano()).Scan(&expires, &l.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return l, store.ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("sqlite: login: %w", err)
	}
	l.Expires = fromNanos(expires)
	return l, nil
}

// DeleteLogin implements store.Logins.
func (s *Store) DeleteLogin(ctx context.Context, tokenHash []byte) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM dashboard_logins WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("sqlite: delete login: %w", err)
	}
	return nil
}
