package consumers

import (
	"fmt"
	"strings"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
)

// The write keys of Bacalhau's S3 managed publisher.
const (
	KeyBacalhauConfig = "bacalhau_config"
	KeyBacalhauFlags  = "bacalhau_flags"
)

const (
	bacalhauWrongAccess = "is for user access: Bacalhau's orchestrator reads a key from the default credential chain, not an OIDC token"
	bacalhauWrongGrant  = "write.bacalhau_config and write.bacalhau_flags configure Bacalhau's S3 managed publisher: use grant: publisher"
)

// bacalhauConfigConsumer merges Publishers.Types.S3Managed into an
// orchestrator's YAML config.
var bacalhauConfigConsumer = Consumer{
	Key:         KeyBacalhauConfig,
	Summary:     "Publishers.Types.S3Managed in a Bacalhau orchestrator's config",
	For:         UserAccess,
	WrongAccess: bacalhauWrongAccess,
	Grants:      []string{"publisher"},
	WrongGrant:  bacalhauWrongGrant,
	IsFile:      true,
	Build: func(t Target) ([]engine.Resource, error) {
		return []engine.Resource{engine.Typed(NewBacalhauConfig(t))}, nil
	},
}

// bacalhauFlagsConsumer writes the same settings as `bacalhau serve -c`
// flags.
var bacalhauFlagsConsumer = Consumer{
	Key:         KeyBacalhauFlags,
	Summary:     "the same settings as bacalhau serve -c Key=Value lines",
	For:         UserAccess,
	WrongAccess: bacalhauWrongAccess,
	Grants:      []string{"publisher"},
	WrongGrant:  bacalhauWrongGrant,
	IsFile:      true,
	Build: func(t Target) ([]engine.Resource, error) {
		kv := bacalhauSettings(t)
		return []engine.Resource{engine.Typed(NewLocalFile(LocalFileConfig{
			Name: t.Access.Name + "/bacalhau_flags", Path: t.Path(KeyBacalhauFlags), Stack: t.Spec.Stack,
			Render: bacalhauFlags(kv), After: []engine.Address{t.BucketAddr, t.KeyAddr}, FS: t.FS,
		}))}, nil
	},
}

// bacalhauPath is where Bacalhau reads the S3 managed publisher's
// orchestrator settings.
var bacalhauPath = []string{"Publishers", "Types", "S3Managed"}

// bacalhauSettings are the Publishers.Types.S3Managed keys Bacalhau
// documents, in its order: Bucket, Key (the key prefix), Region, Endpoint
// (only for S3-compatible services) and PreSignedURLExpiration.
func bacalhauSettings(t Target) [][2]string {
	kv := [][2]string{
		{"Bucket", t.Spec.Bucket.Name},
		{"Key", strings.TrimSuffix(t.Access.Prefix, "/")},
		{"Region", t.Region},
	}
	if t.Endpoint != "" {
		kv = append(kv, [2]string{"Endpoint", t.Endpoint})
	}
	return append(kv, [2]string{"PreSignedURLExpiration", t.Access.PresignExpiry})
}

// NewBacalhauConfig returns the Publishers.Types.S3Managed block of a
// Bacalhau orchestrator's YAML config. The block is merged into the file
// with yaml.v3, which keeps other keys, their order and most comments (it
// may re-indent the file); the block is this stack's when its Bucket is
// the stack's bucket, and a block for another bucket is someone else's
// publisher, not replaced without --adopt.
func NewBacalhauConfig(t Target) *ManagedBlock {
	return newManagedBlock(ManagedBlockConfig{
		Kind: "bacalhau_config", Name: t.Access.Name, Stack: t.Spec.Stack, Path: t.Path(KeyBacalhauConfig),
		Want: bacalhauSettings(t), Prefix: engine.Path(strings.Join(bacalhauPath, ".")),
		OwnerKey: "Bucket", OwnerValue: t.Spec.Bucket.Name, Exclusive: true,
		After: []engine.Address{t.BucketAddr, t.KeyAddr}, FS: t.FS, format: yamlMappingFormat{path: bacalhauPath},
	})
}

// yamlMappingFormat holds the block as a YAML mapping at path.
type yamlMappingFormat struct{ path []string }

func (f yamlMappingFormat) read(data []byte, _ [][2]string) (map[string][]string, bool, error) {
	cur, ok, err := localfile.YAMLMapping(data, f.path)
	if err != nil {
		return nil, false, err
	}
	values := map[string][]string{}
	for k, v := range cur {
		values[k] = []string{v}
	}
	return values, ok, nil
}

func (f yamlMappingFormat) set(data []byte, want [][2]string) ([]byte, error) {
	return localfile.SetYAMLMapping(data, f.path, want)
}

func (f yamlMappingFormat) remove(data []byte, _ [][2]string) ([]byte, error) {
	return localfile.RemoveYAMLMapping(data, f.path)
}

func (f yamlMappingFormat) destroyDescription(path string, _ [][2]string) string {
	return "removes " + strings.Join(f.path, ".") + " from " + path + " (and parents it leaves empty); every other key stays"
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
