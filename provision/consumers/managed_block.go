package consumers

import (
	"context"
	"fmt"
	"slices"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
)

// blockFormat is how one kind of tool config holds awsboot's block: the
// Semaphore agent's env-vars list, the Bacalhau orchestrator's
// Publishers.Types.S3Managed mapping. Adding a consumer that edits a part
// of a user's file is a new blockFormat (and, for a new file format, an
// editor in provision/localfile).
type blockFormat interface {
	// read returns the values of the block's keys in the file (a key may
	// appear more than once) and whether the block is there.
	read(data []byte, want [][2]string) (values map[string][]string, present bool, err error)
	// set writes want into the file, keeping everything else.
	set(data []byte, want [][2]string) ([]byte, error)
	// remove takes the block (the entries still holding want's values)
	// out of the file.
	remove(data []byte, want [][2]string) ([]byte, error)
	// destroyDescription says what remove takes out of path.
	destroyDescription(path string, want [][2]string) string
}

// ManagedBlockConfig is what a managed block needs.
type ManagedBlockConfig struct {
	// Kind and Name make the address ("semaphore_agent_config.cache").
	Kind, Name string
	// What names the file in messages ("" for the address).
	What  string
	Stack string
	Path  string
	// Want are the block's keys and values, in the order written.
	Want [][2]string
	// Obsolete are entries earlier awsboot versions wrote: one still
	// holding that value is awsboot's, shown as removed and taken out.
	Obsolete [][2]string
	// Prefix is the diff path of the block ("env-vars").
	Prefix engine.Path
	// OwnerKey is the key whose value OwnerValue marks the block as this
	// stack's: the files carry no tag, so the bucket's name does.
	OwnerKey, OwnerValue string
	// Exclusive marks a block that is one object of the tool's (Bacalhau
	// has one S3 managed publisher): present with another owner value it
	// is someone else's, refused without --adopt like any object awsboot
	// did not make. A block that is only entries in a shared list (the
	// agent's env-vars) is not exclusive.
	Exclusive bool
	After     []engine.Address
	FS        localfile.System
	format    blockFormat
}

// ManagedBlock is awsboot's block in a tool's config file, merged into
// the file and taken out again without touching any other key. A new file
// is 0600, since tool configs hold tokens; an existing one keeps its mode.
type ManagedBlock struct {
	engine.Meta
	cfg ManagedBlockConfig
}

// newManagedBlock returns the block resource.
func newManagedBlock(cfg ManagedBlockConfig) *ManagedBlock {
	return &ManagedBlock{cfg: cfg, Meta: engine.Meta{Address: engine.Addr(cfg.Kind, cfg.Name), After: cfg.After, What: cfg.What}}
}

// blockState is what Read found of the block.
type blockState struct {
	values map[string][]string
}

// Read implements engine.Kind.
func (b *ManagedBlock) Read(context.Context) (*engine.Observation, blockState, error) {
	data, _, err := b.cfg.FS.ReadFile(b.cfg.Path)
	if err != nil {
		return nil, blockState{}, fmt.Errorf("reading %s: %w", b.cfg.Path, err)
	}
	values, present, err := b.cfg.format.read(data, b.cfg.Want)
	if err != nil {
		return nil, blockState{}, fmt.Errorf("%s: %w", b.cfg.Path, err)
	}
	// Entries set by hand (another bucket) exist, and are updated rather
	// than duplicated, but are not this stack's to delete.
	o := &engine.Observation{Exists: present, DerivedOwnership: !b.cfg.Exclusive}
	if vals := values[b.cfg.OwnerKey]; len(vals) > 0 && vals[0] == b.cfg.OwnerValue {
		o.Owner = b.cfg.Stack
	}
	return o, blockState{values: values}, nil
}

// Diff implements engine.Kind: a key whose first value differs, or that
// appears more than once, is changed.
func (b *ManagedBlock) Diff(o *engine.Observation, st blockState) ([]engine.FieldDiff, error) {
	var d []engine.FieldDiff
	if !o.Exists {
		d = append(d, engine.Added(pathFile, b.cfg.Path))
	}
	for _, kv := range b.cfg.Want {
		vals := st.values[kv[0]]
		before := ""
		if len(vals) > 0 {
			before = vals[0]
		}
		if before != kv[1] || len(vals) > 1 {
			d = append(d, engine.FieldDiff{Path: b.cfg.Prefix.Key(kv[0]), Before: before, After: kv[1]})
		}
	}
	for _, kv := range b.obsolete(st) {
		d = append(d, engine.Removed(b.cfg.Prefix.Key(kv[0]), kv[1]))
	}
	return d, nil
}

// obsolete lists the obsolete entries still in the file with awsboot's
// value (and not also wanted).
func (b *ManagedBlock) obsolete(st blockState) [][2]string {
	var out [][2]string
	for _, kv := range b.cfg.Obsolete {
		if slices.Contains(st.values[kv[0]], kv[1]) && !slices.Contains(b.cfg.Want, kv) {
			out = append(out, kv)
		}
	}
	return out
}

// Create implements engine.Kind.
func (b *ManagedBlock) Create(context.Context, *engine.Observation, blockState) error {
	return b.edit(b.set, false)
}

// Update implements engine.Kind. The file is re-read: the tool's config
// may have changed since the plan.
func (b *ManagedBlock) Update(context.Context, *engine.Observation, blockState, []engine.FieldDiff) error {
	return b.edit(b.set, false)
}

// set writes the wanted entries and takes out obsolete ones.
func (b *ManagedBlock) set(data []byte) ([]byte, error) {
	out, err := b.cfg.format.set(data, b.cfg.Want)
	if err != nil || len(b.cfg.Obsolete) == 0 {
		return out, err
	}
	values, _, err := b.cfg.format.read(out, b.cfg.Obsolete)
	if err != nil {
		return nil, err
	}
	if gone := b.obsolete(blockState{values: values}); len(gone) > 0 {
		return b.cfg.format.remove(out, gone)
	}
	return out, nil
}

// Delete implements engine.Kind: only the entries awsboot wrote go.
func (b *ManagedBlock) Delete(context.Context, *engine.Observation, blockState) error {
	return b.edit(func(data []byte) ([]byte, error) {
		return b.cfg.format.remove(data, append(slices.Clone(b.cfg.Want), b.cfg.Obsolete...))
	}, true)
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (b *ManagedBlock) DestroyDescription(*engine.Observation, blockState) string {
	return b.cfg.format.destroyDescription(b.cfg.Path, b.cfg.Want)
}

// edit applies change to the file under its lock and writes the result
// keeping the file's mode (0600 for a new file); with onlyExisting a
// missing file is left missing.
func (b *ManagedBlock) edit(change func([]byte) ([]byte, error), onlyExisting bool) error {
	unlock, err := b.cfg.FS.Lock(b.cfg.Path)
	if err != nil {
		return err
	}
	defer unlock()
	data, exists, err := b.cfg.FS.ReadFile(b.cfg.Path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", b.cfg.Path, err)
	}
	if !exists && onlyExisting {
		return nil
	}
	out, err := change(data)
	if err != nil {
		return fmt.Errorf("%s: %w", b.cfg.Path, err)
	}
	perm, ok, err := b.cfg.FS.Perm(b.cfg.Path)
	if err != nil {
		return err
	}
	if !ok {
		perm = 0o600
	}
	return b.cfg.FS.WriteFile(b.cfg.Path, out, perm)
}
