package consumers

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

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
	// data is the file as read, prior its saved original (nil when none):
	// the teardown plan says from them what Delete will do.
	data  []byte
	prior *priorFile
}

// Read implements engine.Kind.
func (b *ManagedBlock) Read(context.Context) (*engine.Observation, blockState, error) {
	data, exists, err := b.cfg.FS.ReadFile(b.cfg.Path)
	if err != nil {
		return nil, blockState{}, fmt.Errorf("reading %s: %w", b.cfg.Path, err)
	}
	values, present, err := b.cfg.format.read(data, b.cfg.Want)
	if err != nil {
		return nil, blockState{}, fmt.Errorf("%s: %w%s", b.cfg.Path, err, fixOrMoveAway)
	}
	// A saved original that cannot be read stops the plan, before any
	// change, rather than teardown half-way.
	prior, err := b.readPrior()
	if err != nil {
		return nil, blockState{}, err
	}
	// Entries set by hand (another bucket) exist, and are updated rather
	// than duplicated, but are not this stack's to delete.
	o := &engine.Observation{Exists: present, DerivedOwnership: !b.cfg.Exclusive}
	if vals := values[b.cfg.OwnerKey]; len(vals) > 0 && vals[0] == b.cfg.OwnerValue {
		o.Owner = b.cfg.Stack
	}
	// A file put back by a stopped teardown (see priorFile.putBack); a
	// bootstrap saves it again.
	if o.Owner == "" && prior.putBack(data, exists) {
		o.Exists, o.Owner = true, b.cfg.Stack
	}
	return o, blockState{values: values, data: data, prior: prior}, nil
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
	return b.edit(b.set)
}

// Update implements engine.Kind. The file is re-read: the tool's config
// may have changed since the plan.
func (b *ManagedBlock) Update(context.Context, *engine.Observation, blockState, []engine.FieldDiff) error {
	return b.edit(b.set)
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

// Delete implements engine.Kind. When the file still holds, outside
// awsboot's block, exactly what it held before awsboot first wrote its
// block, the saved original is put back byte for byte (a file awsboot
// created is removed): a user's SEMAPHORE_CACHE_BACKEND=local, an
// `env-vars: []` or another Bacalhau publisher comes back as it was.
// When the user has edited the file since, only the entries awsboot
// wrote go, and the values they replaced are set again.
func (b *ManagedBlock) Delete(context.Context, *engine.Observation, blockState) error {
	data, exists, unlock, err := b.lockAndRead()
	if err != nil {
		return err
	}
	defer unlock()
	prior, err := b.readPrior()
	if err != nil {
		return err
	}
	if !exists {
		if prior != nil {
			return b.cfg.FS.Remove(b.priorPath())
		}
		return nil
	}
	out, err := b.cfg.format.remove(data, b.owned())
	if err != nil {
		return fmt.Errorf("%s: %w", b.cfg.Path, err)
	}
	if prior != nil {
		out, err = b.restore(out, prior)
		if err != nil {
			return err
		}
	}
	if prior != nil && !prior.Existed && out == nil {
		err = b.cfg.FS.Remove(b.cfg.Path)
	} else {
		err = b.write(out)
	}
	if err != nil || prior == nil {
		return err
	}
	return b.cfg.FS.Remove(b.priorPath())
}

// owned is every entry awsboot may have written: the block and the
// entries of earlier versions.
func (b *ManagedBlock) owned() [][2]string {
	return append(slices.Clone(b.cfg.Want), b.cfg.Obsolete...)
}

// restore returns what the file should hold once awsboot's block (already
// taken out of rest) is gone: the saved original when the rest of the
// file is what awsboot's own write left of it (nil for an original that
// did not exist), else rest with the values awsboot replaced set again.
func (b *ManagedBlock) restore(rest []byte, prior *priorFile) ([]byte, error) {
	if b.untouchedSince(rest, prior) {
		if !prior.Existed {
			return nil, nil
		}
		return prior.Content, nil
	}
	before, _, err := b.cfg.format.read(prior.Content, b.cfg.Want)
	if err != nil {
		return rest, nil // the original no longer parses: keep the plain removal
	}
	now, _, err := b.cfg.format.read(rest, b.cfg.Want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.cfg.Path, err)
	}
	var put [][2]string
	for _, kv := range b.cfg.Want {
		if vals := before[kv[0]]; len(vals) > 0 && len(now[kv[0]]) == 0 {
			put = append(put, [2]string{kv[0], vals[0]})
		}
	}
	if len(put) == 0 {
		return rest, nil
	}
	out, err := b.cfg.format.set(rest, put)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.cfg.Path, err)
	}
	return out, nil
}

// untouchedSince reports whether rest (the file without awsboot's block)
// is what awsboot's first write left of the saved original: nobody has
// edited the file outside the block since.
func (b *ManagedBlock) untouchedSince(rest []byte, prior *priorFile) bool {
	written, err := b.set(prior.Content)
	if err == nil {
		written, err = b.cfg.format.remove(written, b.owned())
	}
	return err == nil && bytes.Equal(written, rest)
}

// DestroyDescription implements engine.KindDestroyDescriber: what
// teardown will do to the file as Read found it, worked out as Delete
// does.
func (b *ManagedBlock) DestroyDescription(_ *engine.Observation, st blockState) string {
	d := b.cfg.format.destroyDescription(b.cfg.Path, b.cfg.Want)
	if st.prior == nil {
		return d
	}
	rest, err := b.cfg.format.remove(st.data, b.owned())
	switch untouched := err == nil && b.untouchedSince(rest, st.prior); {
	case err != nil:
		return d
	case untouched && !st.prior.Existed:
		return "deletes " + b.cfg.Path + ", which awsboot created"
	case untouched:
		return "puts " + b.cfg.Path + " back byte for byte as it was before awsboot (saved in " + b.priorPath() + ")"
	}
	return d + "; the values awsboot replaced (saved in " + b.priorPath() + ") are set again"
}

func (b *ManagedBlock) priorPath() string { return b.cfg.Path + priorSuffix }

// readPrior returns the saved original for this stack, or nil.
func (b *ManagedBlock) readPrior() (*priorFile, error) {
	return readPrior(b.cfg.FS, b.cfg.Path, b.cfg.Stack)
}

// savePrior records data (the file before this write) when awsboot's
// block is not yet in it: the first write of a bootstrap, or a rerun after
// a run that stopped between saving and writing (then data is still the
// original).
func (b *ManagedBlock) savePrior(data []byte, existed bool) error {
	values, _, err := b.cfg.format.read(data, b.cfg.Want)
	if err != nil {
		return fmt.Errorf("%s: %w", b.cfg.Path, err)
	}
	if vals := values[b.cfg.OwnerKey]; len(vals) > 0 && vals[0] == b.cfg.OwnerValue {
		return nil // already this stack's block: the original was saved then, or predates this
	}
	// A copy this stack saved before stays: the file now differs from
	// awsboot's block because of drift (a value edited by hand) or a
	// renamed bucket, and saving it would lose the true original.
	if prior, err := b.readPrior(); err != nil || prior != nil {
		return err
	}
	return writePrior(b.cfg.FS, b.cfg.Path, b.cfg.Stack, data, existed)
}

// edit applies change to the file under its lock and writes the result
// keeping the file's mode (0600 for a new file). Before the first write
// of the block, the file as it was is saved beside it for teardown.
func (b *ManagedBlock) edit(change func([]byte) ([]byte, error)) error {
	data, exists, unlock, err := b.lockAndRead()
	if err != nil {
		return err
	}
	defer unlock()
	out, err := change(data)
	if err != nil {
		return fmt.Errorf("%s: %w", b.cfg.Path, err)
	}
	if exists && bytes.Equal(out, data) {
		return nil
	}
	if err := b.savePrior(data, exists); err != nil {
		return err
	}
	return b.write(out)
}

// lockAndRead takes the file's lock and reads it; the caller unlocks.
func (b *ManagedBlock) lockAndRead() (data []byte, exists bool, unlock func(), err error) {
	unlock, err = b.cfg.FS.Lock(b.cfg.Path)
	if err != nil {
		return nil, false, nil, err
	}
	data, exists, err = b.cfg.FS.ReadFile(b.cfg.Path)
	if err != nil {
		unlock()
		return nil, false, nil, fmt.Errorf("reading %s: %w", b.cfg.Path, err)
	}
	return data, exists, unlock, nil
}

// write replaces the file, keeping its mode (0600 for a new file).
func (b *ManagedBlock) write(out []byte) error {
	perm, ok, err := b.cfg.FS.Perm(b.cfg.Path)
	if err != nil {
		return err
	}
	if !ok {
		perm = 0o600
	}
	return b.cfg.FS.WriteFile(b.cfg.Path, out, perm)
}

// Summary implements engine.KindSummarizer for `awsboot show`: the file
// and the keys of awsboot's block in it (their values are the spec's
// names, never a secret).
func (b *ManagedBlock) Summary(*engine.Observation, blockState) []engine.KV {
	keys := make([]string, len(b.cfg.Want))
	for i, kv := range b.cfg.Want {
		keys[i] = kv[0]
	}
	return []engine.KV{{Key: "file", Value: b.cfg.Path}, {Key: "block", Value: string(b.cfg.Prefix) + ": " + strings.Join(keys, ", ")}}
}
