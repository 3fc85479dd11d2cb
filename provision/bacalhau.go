package provision

import (
	"context"
	"fmt"
	"strings"

	"github.com/awsboot/awsboot/provision/localfile"
)

// bacalhauPath is where Bacalhau reads the S3 managed publisher's
// orchestrator settings.
var bacalhauPath = []string{"Publishers", "Types", "S3Managed"}

// bacalhauSettings are the Publishers.Types.S3Managed keys Bacalhau
// documents, in its order: Bucket, Key (the key prefix), Region, Endpoint
// (only for S3-compatible services) and PreSignedURLExpiration.
func bacalhauSettings(c *Clients, s *Spec, a Access) [][2]string {
	kv := [][2]string{
		{"Bucket", s.Bucket.Name},
		{"Key", strings.TrimSuffix(a.Prefix, "/")},
		{"Region", c.Region},
	}
	if c.Endpoint != "" {
		kv = append(kv, [2]string{"Endpoint", c.Endpoint})
	}
	return append(kv, [2]string{"PreSignedURLExpiration", a.PresignExpiry})
}

// BacalhauConfig is the Publishers.Types.S3Managed block of a Bacalhau
// orchestrator's YAML config. The block is merged into the file with
// yaml.v3, which keeps other keys, their order and most comments (it may
// re-indent the file); the block is this stack's when its Bucket is the
// stack's bucket.
type BacalhauConfig struct {
	name   string
	path   string
	stack  string
	bucket string
	kv     [][2]string
	after  []Address
}

// NewBacalhauConfig returns the orchestrator config resource.
func NewBacalhauConfig(c *Clients, s *Spec, a Access, after ...Address) *BacalhauConfig {
	return &BacalhauConfig{name: a.Name, path: s.Path(a.Write.BacalhauConfig), stack: s.Stack, bucket: s.Bucket.Name, kv: bacalhauSettings(c, s, a), after: after}
}

// Addr implements Resource.
func (b *BacalhauConfig) Addr() Address { return Addr("bacalhau_config", b.name) }

// DependsOn implements Resource.
func (b *BacalhauConfig) DependsOn() []Address { return b.after }

// Read implements Resource.
func (b *BacalhauConfig) Read(context.Context) (*Observation, error) {
	data, _, err := localfile.ReadFileIfExists(b.path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", b.path, err)
	}
	cur, ok, err := localfile.YAMLMapping(data, bacalhauPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.path, err)
	}
	o := &Observation{Exists: ok, DerivedOwnership: true, Data: cur}
	if ok && cur["Bucket"] == b.bucket {
		o.Owner = b.stack
	}
	return o, nil
}

// Diff implements Resource.
func (b *BacalhauConfig) Diff(o *Observation) ([]FieldDiff, error) {
	cur, _ := o.Data.(map[string]string)
	var d []FieldDiff
	if !o.Exists {
		d = append(d, FieldDiff{Path: "file", After: b.path})
	}
	for _, kv := range b.kv {
		d = diffField(d, strings.Join(bacalhauPath, ".")+"."+kv[0], cur[kv[0]], kv[1])
	}
	return d, nil
}

// Create implements Resource.
func (b *BacalhauConfig) Create(ctx context.Context, o *Observation) error {
	return b.Update(ctx, o, nil)
}

// Update implements Resource: the file is re-read, the block set.
func (b *BacalhauConfig) Update(context.Context, *Observation, []FieldDiff) error {
	return withFileLock(b.path, b.updateLocked)
}

func (b *BacalhauConfig) updateLocked() error {
	data, _, err := localfile.ReadFileIfExists(b.path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", b.path, err)
	}
	out, err := localfile.SetYAMLMapping(data, bacalhauPath, b.kv)
	if err != nil {
		return fmt.Errorf("%s: %w", b.path, err)
	}
	return writeKeepingMode(b.path, out)
}

// DestroyDescription implements destroyDescriber.
func (b *BacalhauConfig) DestroyDescription(*Observation) string {
	return "removes Publishers.Types.S3Managed from " + b.path + " (and parents it leaves empty); every other key stays"
}

// Delete implements Resource.
func (b *BacalhauConfig) Delete(context.Context, *Observation) error {
	return withFileLock(b.path, b.deleteLocked)
}

func (b *BacalhauConfig) deleteLocked() error {
	data, ok, err := localfile.ReadFileIfExists(b.path)
	if err != nil || !ok {
		return err
	}
	out, err := localfile.RemoveYAMLMapping(data, bacalhauPath)
	if err != nil {
		return fmt.Errorf("%s: %w", b.path, err)
	}
	return writeKeepingMode(b.path, out)
}

// bacalhauFlags renders the `bacalhau serve` flags file: one
// `-c Publishers.Types.S3Managed.Key=Value` per line after the marker, so
// `bacalhau serve $(grep -v '^#' FILE)` applies them.
func bacalhauFlags(kv [][2]string) func(string) (string, error) {
	return func(marker string) (string, error) {
		var b strings.Builder
		b.WriteString(marker + "\n")
		b.WriteString("# Bacalhau S3 managed publisher settings: bacalhau serve $(grep -v '^#' THIS_FILE)\n")
		for _, p := range kv {
			fmt.Fprintf(&b, "-c %s.%s=%s\n", strings.Join(bacalhauPath, "."), p[0], p[1])
		}
		return b.String(), nil
	}
}
