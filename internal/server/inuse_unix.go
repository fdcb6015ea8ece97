//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package server

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// shmDeadmanByte is the byte of a WAL database's "-shm" file on which every
// SQLite connection holds a shared POSIX lock for as long as it has the
// database open (UNIX_SHM_DMS in SQLite's os_unix.c, which the pure-Go
// driver keeps).
const shmDeadmanByte = 128

// DataDirInUse reports whether another process has dataDir's database open
// (a running server, or a CLI command reading it), so that a command that
// writes spans can refuse to become a second writer. A directory without a
// database is not in use.
//
// Call it before this process opens the store: it opens and closes the
// database's shared-memory file, and closing a file drops every POSIX
// record lock this process holds on it.
func DataDirInUse(dataDir string) (bool, error) {
	path := filepath.Join(dataDir, DBFile) + "-shm"
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking whether %s is in use: %w", filepath.Join(dataDir, DBFile), err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: shmDeadmanByte, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, fmt.Errorf("checking whether %s is in use: %w", filepath.Join(dataDir, DBFile), err)
	}
	return lk.Type != syscall.F_UNLCK, nil
}
