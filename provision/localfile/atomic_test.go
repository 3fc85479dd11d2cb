package localfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fileState is what the tests check of a file: its content and permission
// bits, or that it does not exist.
type fileState struct {
	Exists  bool
	Content string
	Mode    os.FileMode
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return fileState{}
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{Exists: true, Content: string(data), Mode: info.Mode().Perm()}
}

// dirEntries returns the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	tests := map[string]struct {
		existing   *fileState // file at path before the write, if any
		data       string
		perm       os.FileMode
		backup     bool
		wantFile   fileState
		wantBackup fileState
	}{
		"new file": {
			data:     "[default]\n",
			perm:     0o600,
			backup:   true,
			wantFile: fileState{Exists: true, Content: "[default]\n", Mode: 0o600},
		},
		"replace with backup": {
			existing:   &fileState{Content: "old\n", Mode: 0o644},
			data:       "new\n",
			perm:       0o600,
			backup:     true,
			wantFile:   fileState{Exists: true, Content: "new\n", Mode: 0o600},
			wantBackup: fileState{Exists: true, Content: "old\n", Mode: 0o644},
		},
		"replace without backup": {
			existing: &fileState{Content: "old\n", Mode: 0o600},
			data:     "new\n",
			perm:     0o640,
			wantFile: fileState{Exists: true, Content: "new\n", Mode: 0o640},
		},
		"same content is a no-op": {
			existing: &fileState{Content: "same\n", Mode: 0o644},
			data:     "same\n",
			perm:     0o600,
			backup:   true,
			wantFile: fileState{Exists: true, Content: "same\n", Mode: 0o644},
		},
		"empty content": {
			existing:   &fileState{Content: "old\n", Mode: 0o600},
			data:       "",
			perm:       0o600,
			backup:     true,
			wantFile:   fileState{Exists: true, Content: "", Mode: 0o600},
			wantBackup: fileState{Exists: true, Content: "old\n", Mode: 0o600},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config")
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			if tc.existing != nil {
				if err := os.WriteFile(path, []byte(tc.existing.Content), tc.existing.Mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.existing.Mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(path, old, old); err != nil {
					t.Fatal(err)
				}
			}

			backupPath, err := WriteFileAtomic(path, []byte(tc.data), tc.perm, tc.backup)
			if err != nil {
				t.Fatalf("WriteFileAtomic() error: %v", err)
			}

			wantBackupPath := ""
			if tc.wantBackup.Exists {
				wantBackupPath = path + ".awsboot.bak"
			}
			if diff := cmp.Diff(wantBackupPath, backupPath); diff != "" {
				t.Errorf("backup path mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFile, stateOf(t, path)); diff != "" {
				t.Errorf("file mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantBackup, stateOf(t, path+".awsboot.bak")); diff != "" {
				t.Errorf("backup mismatch (-want +got):\n%s", diff)
			}
			// No temporary file is left behind.
			want := []string{"config"}
			if tc.wantBackup.Exists {
				want = append(want, "config.awsboot.bak")
			}
			if diff := cmp.Diff(want, dirEntries(t, dir)); diff != "" {
				t.Errorf("directory entries mismatch (-want +got):\n%s", diff)
			}
			if tc.existing != nil && tc.existing.Content == tc.data {
				info, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if !info.ModTime().Equal(old) {
					t.Errorf("modification time changed from %v to %v on a no-op write", old, info.ModTime())
				}
			}
		})
	}
}

func TestWriteFileAtomicCreatesPrivateDirectories(t *testing.T) {
	home := t.TempDir()
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, ".aws", "sub", "config")
	if _, err := WriteFileAtomic(path, []byte("x"), 0o600, true); err != nil {
		t.Fatalf("WriteFileAtomic() error: %v", err)
	}
	got := map[string]os.FileMode{}
	for _, p := range []string{home, filepath.Join(home, ".aws"), filepath.Join(home, ".aws", "sub"), path} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		got[p] = info.Mode().Perm()
	}
	want := map[string]os.FileMode{
		home:                               0o755, // existing: left alone
		filepath.Join(home, ".aws"):        0o700,
		filepath.Join(home, ".aws", "sub"): 0o700,
		path:                               0o600,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("modes mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteFileAtomicFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles", "aws-config")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot create symlinks: %v", err)
	}

	backupPath, err := WriteFileAtomic(link, []byte("new\n"), 0o600, true)
	if err != nil {
		t.Fatalf("WriteFileAtomic() error: %v", err)
	}
	info, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a symlink", link)
	}
	got := map[string]fileState{
		"target": stateOf(t, target),
		"backup": stateOf(t, backupPath),
	}
	want := map[string]fileState{
		"target": {Exists: true, Content: "new\n", Mode: 0o600},
		"backup": {Exists: true, Content: "old\n", Mode: 0o600},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(link+".awsboot.bak", backupPath); diff != "" {
		t.Errorf("backup path mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteFileAtomicRemovesTempFileOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	renameFile = func(string, string) error { return errors.New("disk on fire") }
	t.Cleanup(func() { renameFile = os.Rename })

	backupPath, err := WriteFileAtomic(path, []byte("new\n"), 0o600, false)
	want := "write " + path + ": replace file: disk on fire"
	if diff := cmp.Diff(want, errString(err)); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
	if backupPath != "" {
		t.Errorf("backup path = %q, want none", backupPath)
	}
	if diff := cmp.Diff([]string{"credentials"}, dirEntries(t, dir)); diff != "" {
		t.Errorf("directory entries mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fileState{Exists: true, Content: "old\n", Mode: 0o600}, stateOf(t, path)); diff != "" {
		t.Errorf("file mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteFileAtomicErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		path    string
		wantErr string
	}{
		"parent is a file": {
			path:    filepath.Join(blocker, "config"),
			wantErr: "open " + filepath.Join(blocker, "config") + ": not a directory",
		},
		"path is a directory": {
			path:    dir,
			wantErr: "read " + dir + ": is a directory",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := WriteFileAtomic(tc.path, []byte("x"), 0o600, true)
			if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadFileIfExists(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte("content"), 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Data   string
		Exists bool
		Err    string
	}
	tests := map[string]struct {
		path string
		want result
	}{
		"exists":            {path: path, want: result{Data: "content", Exists: true}},
		"missing":           {path: filepath.Join(dir, "missing")},
		"missing directory": {path: filepath.Join(dir, "nope", "config")},
		"directory":         {path: dir, want: result{Err: "read " + dir + ": is a directory"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data, exists, err := ReadFileIfExists(tc.path)
			got := result{Data: string(data), Exists: exists, Err: errString(err)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
