package localfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// BackupSuffix is appended to a file's path to name the backup that
// WriteFileAtomic keeps of its previous content.
const BackupSuffix = ".awsboot.bak"

// renameFile is os.Rename; tests replace it to make the last step fail.
var renameFile = os.Rename

// WriteFileAtomic replaces the content of the file at path with data so that
// readers see either the old or the new content, never a mix: data is
// written to a temporary file in the same directory, synced to disk and
// renamed over path. The new file gets exactly the permission bits perm.
// Missing parent directories are created with mode 0700 (existing ones are
// left alone). When path is a symbolic link, the file it points to is
// replaced and the link is kept.
//
// When the file already holds data, nothing is written at all (its
// modification time does not change) and backupPath is "". Otherwise, if
// backup is true and the file exists, its previous content is first written
// the same way to path+BackupSuffix, with the permission bits of the
// original, and backupPath names that file; it is returned even when
// writing path fails afterwards.
func WriteFileAtomic(path string, data []byte, perm os.FileMode, backup bool) (backupPath string, err error) {
	old, exists, err := ReadFileIfExists(path)
	if err != nil {
		return "", err
	}
	if exists && bytes.Equal(old, data) {
		return "", nil
	}
	if exists && backup {
		info, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		if err := writeAtomic(path+BackupSuffix, old, info.Mode().Perm()); err != nil {
			return "", fmt.Errorf("back up %s: %w", path, err)
		}
		backupPath = path + BackupSuffix
	}
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	if err := writeAtomic(target, data, perm); err != nil {
		return backupPath, fmt.Errorf("write %s: %w", path, err)
	}
	return backupPath, nil
}

// ReadFileIfExists returns the content of the file at path and whether it
// exists. A missing file is not an error.
func ReadFileIfExists(path string) ([]byte, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory, which is removed again on any error.
func writeAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("set permissions: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write temporary file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close temporary file: %w", err)
	}
	if err := renameFile(f.Name(), path); err != nil {
		return fmt.Errorf("replace file: %w", err)
	}
	// Make the rename itself durable; not every system can sync a
	// directory, so this is best effort.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
