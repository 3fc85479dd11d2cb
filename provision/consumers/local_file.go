package consumers

import (
	"context"
	"fmt"
	"strings"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
)

// LocalFileConfig is what a whole-file resource needs.
type LocalFileConfig struct {
	// Name makes the address (local_file.<Name>).
	Name  string
	Path  string
	Stack string
	// Render makes the content, given the ownership marker line.
	Render func(marker string) (string, error)
	// Owned, when set, recognises awsboot's content in a format that has
	// no comments (JSON) instead of the first-line marker.
	Owned func(content string) bool
	After []engine.Address
	FS    localfile.System
}

// LocalFile is a whole file awsboot renders from a template (a pipeline
// snippet, Bacalhau's flags, a destination bucket's statement). Its first
// line is the ownership marker; a file at that path without it is someone
// else's and is not overwritten without --adopt. It holds no secret.
type LocalFile struct {
	engine.Meta
	cfg LocalFileConfig
}

// NewLocalFile returns the file resource.
func NewLocalFile(cfg LocalFileConfig) *LocalFile {
	return &LocalFile{cfg: cfg, Meta: engine.Meta{Address: engine.Addr("local_file", cfg.Name), After: cfg.After, What: "file " + cfg.Path}}
}

// pathContent is the diff path of the file's content.
const pathContent engine.Path = "content"

func (f *LocalFile) content() (string, error) { return f.cfg.Render(Marker(f.cfg.Stack)) }

// Read implements engine.Kind; the state is the file's content.
func (f *LocalFile) Read(context.Context) (*engine.Observation, string, error) {
	data, ok, err := f.cfg.FS.ReadFile(f.cfg.Path)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", f.cfg.Path, err)
	}
	if !ok {
		return &engine.Observation{}, "", nil
	}
	owner := ""
	if f.cfg.Owned != nil {
		if f.cfg.Owned(string(data)) {
			owner = f.cfg.Stack
		}
	} else {
		first, _, _ := strings.Cut(string(data), "\n")
		owner, _ = markerOwner(first)
	}
	return &engine.Observation{Exists: true, Owner: owner}, string(data), nil
}

// Diff implements engine.Kind.
func (f *LocalFile) Diff(o *engine.Observation, got string) ([]engine.FieldDiff, error) {
	want, err := f.content()
	if err != nil {
		return nil, err
	}
	if !o.Exists {
		return []engine.FieldDiff{engine.Added("path", f.cfg.Path), engine.Added(pathContent, strings.TrimSuffix(want, "\n"))}, nil
	}
	if got != want {
		return []engine.FieldDiff{{Path: pathContent, Before: strings.TrimSuffix(got, "\n"), After: strings.TrimSuffix(want, "\n")}}, nil
	}
	return nil, nil
}

// Create implements engine.Kind.
func (f *LocalFile) Create(context.Context, *engine.Observation, string) error { return f.write() }

// Update implements engine.Kind.
func (f *LocalFile) Update(context.Context, *engine.Observation, string, []engine.FieldDiff) error {
	return f.write()
}

func (f *LocalFile) write() error {
	want, err := f.content()
	if err != nil {
		return err
	}
	unlock, err := f.cfg.FS.Lock(f.cfg.Path)
	if err != nil {
		return err
	}
	defer unlock()
	return f.cfg.FS.WriteFile(f.cfg.Path, []byte(want), 0o644)
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (f *LocalFile) DestroyDescription(*engine.Observation, string) string {
	return "deletes " + f.cfg.Path
}

// Delete implements engine.Kind: the file goes only while it is still
// this stack's.
func (f *LocalFile) Delete(ctx context.Context, _ *engine.Observation, _ string) error {
	o, _, err := f.Read(ctx)
	if err != nil || !o.Exists || o.Owner != f.cfg.Stack {
		return err
	}
	return f.cfg.FS.Remove(f.cfg.Path)
}

// Summary implements engine.KindSummarizer for `awsboot show`: the file,
// which is awsboot's whole.
func (f *LocalFile) Summary(*engine.Observation, string) []engine.KV {
	return []engine.KV{{Key: "file", Value: f.cfg.Path}}
}
