package provision

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/awsboot/awsboot/provision/localfile"
)

// SemaphoreAgentConfig is the env-vars block of a self-hosted Semaphore
// agent's config.yaml: SEMAPHORE_CACHE_BACKEND=s3 and
// SEMAPHORE_CACHE_S3_BUCKET=<bucket> (plus AWS_PROFILE when the profile is
// not "default", so the cache CLI picks the written credentials). Every
// other key and entry of the file is left byte for byte.
type SemaphoreAgentConfig struct {
	name    string
	path    string
	bucket  string
	profile string
	stack   string
	after   []Address
}

// NewSemaphoreAgentConfig returns the agent config resource for an access
// entry.
func NewSemaphoreAgentConfig(s *Spec, a Access, after ...Address) *SemaphoreAgentConfig {
	return &SemaphoreAgentConfig{name: a.Name, path: s.Path(a.Write.SemaphoreAgent), bucket: s.Bucket.Name, profile: a.Write.AWSProfile, stack: s.Stack, after: after}
}

// Addr implements Resource.
func (r *SemaphoreAgentConfig) Addr() Address { return Addr("semaphore_agent_config", r.name) }

// DependsOn implements Resource.
func (r *SemaphoreAgentConfig) DependsOn() []Address { return r.after }

// Describe names the file in messages.
func (r *SemaphoreAgentConfig) Describe() string {
	return fmt.Sprintf("Semaphore agent config %s", r.path)
}

const (
	envBackend = "SEMAPHORE_CACHE_BACKEND"
	envBucket  = "SEMAPHORE_CACHE_S3_BUCKET"
	envProfile = "AWS_PROFILE"
)

func (r *SemaphoreAgentConfig) vars() []localfile.EnvVar {
	v := []localfile.EnvVar{{Name: envBackend, Value: "s3"}, {Name: envBucket, Value: r.bucket}}
	if r.profile != "" && r.profile != "default" {
		v = append(v, localfile.EnvVar{Name: envProfile, Value: r.profile})
	}
	return v
}

type agentState struct {
	fileExists bool
	env        map[string][]string
}

// Read implements Resource. The file has no tag: its entries are this
// stack's when SEMAPHORE_CACHE_S3_BUCKET names this stack's bucket.
func (r *SemaphoreAgentConfig) Read(context.Context) (*Observation, error) {
	data, ok, err := localfile.ReadFileIfExists(r.path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", r.path, err)
	}
	st := agentState{fileExists: ok, env: map[string][]string{}}
	entries, err := localfile.EnvVars(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.path, err)
	}
	for _, e := range entries {
		name, value := splitEnv(e)
		st.env[name] = append(st.env[name], value)
	}
	o := &Observation{DerivedOwnership: true, Data: st}
	for _, v := range r.vars() {
		// Entries set by hand (another bucket) are updated, not
		// duplicated: they exist, but are not this stack's to delete.
		o.Exists = o.Exists || len(st.env[v.Name]) > 0
	}
	if vals := st.env[envBucket]; len(vals) > 0 && vals[0] == r.bucket {
		o.Owner = r.stack
	}
	return o, nil
}

func splitEnv(e string) (string, string) {
	for i := 0; i < len(e); i++ {
		if e[i] == '=' {
			return e[:i], e[i+1:]
		}
	}
	return e, ""
}

// Diff implements Resource.
func (r *SemaphoreAgentConfig) Diff(o *Observation) ([]FieldDiff, error) {
	st := o.Data.(agentState)
	var d []FieldDiff
	if !o.Exists {
		d = append(d, FieldDiff{Path: "file", After: r.path})
	}
	for _, v := range r.vars() {
		vals := st.env[v.Name]
		before := ""
		if len(vals) > 0 {
			before = vals[0]
		}
		if before != v.Value || len(vals) > 1 {
			d = append(d, FieldDiff{Path: "env-vars." + v.Name, Before: before, After: v.Value})
		}
	}
	return d, nil
}

// Create implements Resource.
func (r *SemaphoreAgentConfig) Create(ctx context.Context, o *Observation) error {
	return r.Update(ctx, o, nil)
}

// Update implements Resource. The file is re-read: the agent's config may
// have changed since the plan. A new file is 0600 since an agent config
// holds the agent's registration token; an existing one keeps its mode.
func (r *SemaphoreAgentConfig) Update(context.Context, *Observation, []FieldDiff) error {
	return withFileLock(r.path, r.updateLocked)
}

func (r *SemaphoreAgentConfig) updateLocked() error {
	data, _, err := localfile.ReadFileIfExists(r.path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", r.path, err)
	}
	out, err := localfile.SetEnvVars(data, r.vars())
	if err != nil {
		return fmt.Errorf("%s: %w", r.path, err)
	}
	return writeKeepingMode(r.path, out)
}

// Delete implements Resource: it removes only the entries awsboot wrote
// (those whose values are still this stack's).
func (r *SemaphoreAgentConfig) Delete(context.Context, *Observation) error {
	return withFileLock(r.path, r.deleteLocked)
}

func (r *SemaphoreAgentConfig) deleteLocked() error {
	data, ok, err := localfile.ReadFileIfExists(r.path)
	if err != nil || !ok {
		return err
	}
	want := map[string]string{}
	for _, v := range r.vars() {
		want[v.Name] = v.Value
	}
	out, err := localfile.RemoveEnvVars(data, func(name, value string) bool {
		w, ok := want[name]
		return ok && w == value
	})
	if err != nil {
		return fmt.Errorf("%s: %w", r.path, err)
	}
	return writeKeepingMode(r.path, out)
}

func writeKeepingMode(path string, data []byte) error {
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if _, err := localfile.WriteFileAtomic(path, data, mode, true); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// DestroyDescription implements destroyDescriber.
func (r *SemaphoreAgentConfig) DestroyDescription(*Observation) string {
	var names []string
	for _, v := range r.vars() {
		names = append(names, v.Name)
	}
	return fmt.Sprintf("removes %s from env-vars in %s; every other key stays", strings.Join(names, ", "), r.path)
}
