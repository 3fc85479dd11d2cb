package provision

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/templates"
)

// LocalFile is a whole file awsboot renders from a template (a pipeline
// snippet). Its first line is the ownership marker; a file at that path
// without it is someone else's and is not overwritten without --adopt.
// It holds no secret.
type LocalFile struct {
	name   string
	path   string
	stack  string
	render func(marker string) (string, error)
	// owned, when set, recognises awsboot's content in a format that has
	// no comments (JSON) instead of the first-line marker.
	owned func(content string) bool
	after []Address
}

// NewLocalFile returns a file resource whose content render makes, given
// the ownership marker line.
func NewLocalFile(name, path, stack string, render func(marker string) (string, error), after ...Address) *LocalFile {
	return &LocalFile{name: name, path: path, stack: stack, render: render, after: after}
}

// oidcSnippet renders an OIDC pipeline template.
func oidcSnippet(template string, data templates.OIDCData) func(string) (string, error) {
	return func(marker string) (string, error) {
		data.Marker = marker
		return templates.Render(template, data)
	}
}

// Addr implements Resource.
func (f *LocalFile) Addr() Address { return Addr("local_file", f.name) }

// DependsOn implements Resource.
func (f *LocalFile) DependsOn() []Address { return f.after }

// Describe names the file in messages.
func (f *LocalFile) Describe() string { return "file " + f.path }

func (f *LocalFile) content() (string, error) { return f.render(marker(f.stack)) }

// Read implements Resource.
func (f *LocalFile) Read(context.Context) (*Observation, error) {
	data, ok, err := localfile.ReadFileIfExists(f.path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.path, err)
	}
	if !ok {
		return &Observation{}, nil
	}
	owner := ""
	if f.owned != nil {
		if f.owned(string(data)) {
			owner = f.stack
		}
	} else if first, _, _ := strings.Cut(string(data), "\n"); strings.HasPrefix(first, markerPrefix) {
		owner = strings.TrimSpace(strings.TrimPrefix(first, markerPrefix))
	}
	return &Observation{Exists: true, Owner: owner, Data: string(data)}, nil
}

// Diff implements Resource.
func (f *LocalFile) Diff(o *Observation) ([]FieldDiff, error) {
	want, err := f.content()
	if err != nil {
		return nil, err
	}
	if !o.Exists {
		return createFields("path", f.path, "content", strings.TrimSuffix(want, "\n")), nil
	}
	if got := o.Data.(string); got != want {
		return []FieldDiff{{Path: "content", Before: strings.TrimSuffix(got, "\n"), After: strings.TrimSuffix(want, "\n")}}, nil
	}
	return nil, nil
}

// Create implements Resource.
func (f *LocalFile) Create(context.Context, *Observation) error { return f.write() }

// Update implements Resource.
func (f *LocalFile) Update(context.Context, *Observation, []FieldDiff) error { return f.write() }

func (f *LocalFile) write() error {
	want, err := f.content()
	if err != nil {
		return err
	}
	if _, err := localfile.WriteFileAtomic(f.path, []byte(want), 0o644, true); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

// DestroyDescription implements destroyDescriber.
func (f *LocalFile) DestroyDescription(*Observation) string { return "deletes " + f.path }

// Delete implements Resource.
func (f *LocalFile) Delete(ctx context.Context, _ *Observation) error {
	o, err := f.Read(ctx)
	if err != nil || !o.Exists || o.Owner != f.stack {
		return err
	}
	if err := os.Remove(f.path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("deleting %s: %w", f.path, err)
	}
	return nil
}
