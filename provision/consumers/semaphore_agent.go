package consumers

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// KeySemaphoreAgent is the write key of a self-hosted Semaphore agent's
// config.yaml.
const KeySemaphoreAgent = "semaphore_agent"

// semaphoreAgentConsumer writes the cache settings into a Semaphore
// agent's config.yaml env-vars.
var semaphoreAgentConsumer = Consumer{
	Key:         KeySemaphoreAgent,
	Summary:     "the cache settings in a Semaphore agent's config.yaml env-vars",
	For:         UserAccess,
	WrongAccess: "is for user access (an agent with a stored key); with role, use write.semaphore_pipeline",
	IsFile:      true,
	Check: func(v *spec.Validator, s *spec.Spec, i int) {
		if s.Access[i].Write[KeySemaphoreAgent] == "" {
			return
		}
		if err := CacheCLIReaches(s.Endpoint, s.PathStyle == nil || *s.PathStyle); err != nil {
			v.Errorf([]any{"access", i, "write", KeySemaphoreAgent}, "%v", err)
		}
	},
	Build: func(t Target) ([]engine.Resource, error) {
		// The endpoint may come from --endpoint-url or AWS_ENDPOINT_URL
		// rather than the spec: checked again here, before any change.
		if err := CacheCLIReaches(t.Endpoint, t.PathStyle); err != nil {
			return nil, err // Build names the entry and the key
		}
		return []engine.Resource{engine.Typed(NewSemaphoreAgentConfig(t))}, nil
	},
}

// CacheCLIReaches returns an error when Semaphore's cache CLI cannot reach
// the S3-compatible endpoint with the profile awsboot writes (pathStyle:
// the service needs path-style addressing). What the cache CLI does
// (cache-cli/pkg/storage/s3.go in semaphoreci/toolbox):
//   - with SEMAPHORE_CACHE_AWS_PROFILE it loads the profile with the Go
//     SDK (LoadDefaultConfig, WithSharedConfigProfile) and makes a plain
//     s3.NewFromConfig client: the profile's endpoint_url is used, but the
//     Go SDK ignores the profile's s3.addressing_style, so buckets are
//     addressed virtual-hosted style, http://<bucket>.<host>/, except when
//     the host is an IP address, where the SDK falls back to the path;
//   - with SEMAPHORE_CACHE_S3_URL it signs with fixed test credentials
//     (minioadmin), so awsboot's key cannot be used that way.
//
// So an endpoint is reachable when it is empty (AWS), its host is an IP
// address, or the service answers virtual-hosted requests (path_style:
// false). The error says which spec change makes it work.
func CacheCLIReaches(endpoint string, pathStyle bool) error {
	if endpoint == "" || !pathStyle {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || net.ParseIP(u.Hostname()) != nil {
		return nil // a bad URL is reported at endpoint
	}
	return fmt.Errorf("the Semaphore cache CLI cannot reach %s: it addresses buckets as http://<bucket>.%s/ "+
		"(the Go SDK ignores the profile's s3.addressing_style = path), and its SEMAPHORE_CACHE_S3_URL mode signs with fixed test "+
		"credentials, not a profile; give the endpoint as an IP address, or set path_style: false if the service answers <bucket>.%s",
		endpoint, u.Host, u.Host)
}

// The env-vars the agent's jobs get: SEMAPHORE_CACHE_BACKEND=s3,
// SEMAPHORE_CACHE_S3_BUCKET=<bucket> and SEMAPHORE_CACHE_AWS_PROFILE, the
// profile Semaphore's cache CLI loads its credentials from
// (cache-cli/pkg/storage/s3.go in semaphoreci/toolbox: LoadDefaultConfig
// with WithSharedConfigProfile). Only the cache CLI reads it, so the
// jobs' own AWS identity stays what it was. Earlier awsboot versions set
// AWS_PROFILE, which every job then ran as: that entry, when it still
// names the profile, is migrated away.
const (
	envBackend      = "SEMAPHORE_CACHE_BACKEND"
	envBucket       = "SEMAPHORE_CACHE_S3_BUCKET"
	envCacheProfile = "SEMAPHORE_CACHE_AWS_PROFILE"
	envOldProfile   = "AWS_PROFILE"
)

// NewSemaphoreAgentConfig returns the env-vars block of the agent's
// config.yaml for an access entry. Every other key and entry of the file
// is left byte for byte; the entries are this stack's when
// SEMAPHORE_CACHE_S3_BUCKET names its bucket.
func NewSemaphoreAgentConfig(t Target) *ManagedBlock {
	path := t.Path(KeySemaphoreAgent)
	profile := t.Access.Write[KeyAWSProfile]
	want := [][2]string{{envBackend, "s3"}, {envBucket, t.Spec.Bucket.Name}, {envCacheProfile, profile}}
	return newManagedBlock(ManagedBlockConfig{
		Kind: "semaphore_agent_config", Name: t.Access.Name, What: "Semaphore agent config " + path,
		Stack: t.Spec.Stack, Path: path, Want: want, Obsolete: [][2]string{{envOldProfile, profile}}, Prefix: "env-vars",
		OwnerKey: envBucket, OwnerValue: t.Spec.Bucket.Name,
		After: []engine.Address{t.BucketAddr, t.KeyAddr}, FS: t.FS, format: envVarsFormat{},
	})
}

// envVarsFormat edits the agent config's env-vars list as text
// (localfile.SetEnvVars), never re-encoding the YAML.
type envVarsFormat struct{}

func (envVarsFormat) read(data []byte, want [][2]string) (map[string][]string, bool, error) {
	entries, err := localfile.EnvVars(data)
	if err != nil {
		return nil, false, err
	}
	values := map[string][]string{}
	for _, e := range entries {
		name, value, _ := strings.Cut(e, "=")
		values[name] = append(values[name], value)
	}
	present := false
	for _, kv := range want {
		present = present || len(values[kv[0]]) > 0
	}
	return values, present, nil
}

func (envVarsFormat) set(data []byte, want [][2]string) ([]byte, error) {
	vars := make([]localfile.EnvVar, len(want))
	for i, kv := range want {
		vars[i] = localfile.EnvVar{Name: kv[0], Value: kv[1]}
	}
	return localfile.SetEnvVars(data, vars)
}

func (envVarsFormat) remove(data []byte, want [][2]string) ([]byte, error) {
	w := map[string]string{}
	for _, kv := range want {
		w[kv[0]] = kv[1]
	}
	return localfile.RemoveEnvVars(data, func(name, value string) bool {
		v, ok := w[name]
		return ok && v == value
	})
}

func (envVarsFormat) destroyDescription(path string, want [][2]string) string {
	names := make([]string, len(want))
	for i, kv := range want {
		names[i] = kv[0]
	}
	return fmt.Sprintf("removes %s from env-vars in %s; every other key stays", strings.Join(names, ", "), path)
}
