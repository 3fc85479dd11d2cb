package consumers

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// The write keys of the GitLab Runner consumer: the runner's config.toml
// and the name of the [[runners]] entry in it whose cache awsboot
// configures.
const (
	KeyGitLabRunner     = "gitlab_runner"
	KeyGitLabRunnerName = "gitlab_runner_name"
)

const (
	gitlabRunnerWrongAccess = "is for user access: GitLab Runner signs its cache URLs with an access key (or the runner host's own AWS credentials), not with a job's OIDC token; use user: with write.aws_profile"
	gitlabRunnerWrongGrant  = "write.gitlab_runner configures GitLab Runner's distributed cache, which reads, writes, lists and deletes cache archives: use grant: cache"
)

// gitlabRunnerConsumer writes the S3 cache of one runner of a GitLab
// Runner config.toml: [runners.cache] and [runners.cache.s3] of the
// [[runners]] entry named by write.gitlab_runner_name.
var gitlabRunnerConsumer = Consumer{
	Key:         KeyGitLabRunner,
	Summary:     "[runners.cache] and [runners.cache.s3] of one runner in a GitLab Runner config.toml",
	For:         UserAccess,
	WrongAccess: gitlabRunnerWrongAccess,
	Grants:      []string{"cache"},
	WrongGrant:  gitlabRunnerWrongGrant,
	IsFile:      true,
	Check:       checkGitLabRunner,
	Build: func(t Target) ([]engine.Resource, error) {
		r, err := NewGitLabRunnerCache(t)
		if err != nil {
			return nil, err
		}
		return []engine.Resource{engine.Typed(r)}, nil
	},
}

// gitlabRunnerNameOption is read by gitlabRunnerConsumer's Build: the
// name = "..." of the [[runners]] entry to configure. It is a write key
// of its own, so it needs its own registry entry (as
// web_identity_token_file does); checkGitLabRunner checks the pair.
var gitlabRunnerNameOption = Consumer{
	Key:     KeyGitLabRunnerName,
	Summary: "the name of the [[runners]] entry whose cache write.gitlab_runner configures",
	For:     AnyAccess,
}

// checkGitLabRunner checks that gitlab_runner and gitlab_runner_name come
// together, and that the runner can reach the stack's endpoint.
func checkGitLabRunner(v *spec.Validator, s *spec.Spec, i int) {
	a := s.Access[i]
	p := func(f ...any) []any { return append([]any{"access", i}, f...) }
	file, name := a.Write[KeyGitLabRunner], a.Write[KeyGitLabRunnerName]
	switch {
	case file != "" && name == "":
		v.Errorf(p("write", KeyGitLabRunnerName), "is required with write.gitlab_runner: the name of the [[runners]] entry of that config.toml whose cache awsboot configures (its name = \"...\" line)")
	case file == "" && name != "":
		v.Errorf(p("write", KeyGitLabRunnerName), "needs write.gitlab_runner: the GitLab Runner config.toml that holds the runner")
	}
	if file != "" && s.Endpoint != "" {
		if _, _, err := gitlabServerAddress(s.Endpoint); err != nil {
			v.Errorf(p("write", KeyGitLabRunner), "%v", err)
		}
	}
}

// The settings awsboot writes, as GitLab Runner reads them
// (gitlab-org/gitlab-runner: the Config and CacheS3Config structs of
// cache/cacheconfig/cacheconfig.go, common/config.go in older versions;
// docs/configuration/advanced-configuration.md, "The [runners.cache]
// section" and "The [runners.cache.s3] section"):
//
//   - [runners.cache] Type = "s3" selects the S3 adapter. Shared = true
//     ("Enables cache sharing between runners") leaves the runner's own
//     runner/<token> namespace out of object names. Path ("Name of the
//     path to prepend to the cache URL") starts every object name:
//     cache/cache.go's generateObjectName is path.Join(Path, [namespace],
//     "project", <id>, key), so with Path = the access entry's prefix
//     every archive is under the prefix the grant allows.
//   - [runners.cache.s3] ServerAddress is "A host:port for the
//     S3-compatible server", without a scheme: CacheS3Config.GetEndpoint
//     prepends https://, or http:// when Insecure = true ("Set to true if
//     the S3 service is available by HTTP"). For AWS it is
//     s3.amazonaws.com, which cache/s3v2/s3.go takes for AWS's default
//     endpoint (DEFAULT_AWS_S3_ENDPOINT) and resolves by region.
//     BucketLocation is the region ("Name of S3 region"; the SDK's
//     region, us-east-1 when empty). AuthenticationType = "access-key"
//     (S3AuthTypeAccessKey; the other value is "iam", the default
//     credential chain) makes the runner sign with AccessKey and
//     SecretKey whatever else is set.
//
// GitLab Runner picks path-style addressing itself for endpoints that
// are not AWS's or Google's (CacheS3Config.PathStyleEnabled), so
// PathStyle is not written.
const (
	gitlabType               = "Type"
	gitlabShared             = "Shared"
	gitlabPath               = "Path"
	gitlabServerAddressKey   = "ServerAddress"
	gitlabBucketName         = "BucketName"
	gitlabBucketLocation     = "BucketLocation"
	gitlabAuthenticationType = "AuthenticationType"
	gitlabInsecure           = "Insecure"
	gitlabAccessKey          = "AccessKey"
	gitlabSecretKey          = "SecretKey"

	gitlabAWSServerAddress = "s3.amazonaws.com"
	gitlabAccessKeyAuth    = "access-key"
)

// The two tables, below the [[runners]] entry.
var (
	gitlabCacheTable = []string{"cache"}
	gitlabS3Table    = []string{"cache", "s3"}
)

// The paths GitLabRunnerCache diffs: the file, the runner, the mode and
// each key under its table's name.
const (
	pathGitLabRunner engine.Path = "runner"
	pathGitLabCache  engine.Path = "runners.cache"
	pathGitLabS3     engine.Path = "runners.cache.s3"
	pathGitLabMode   engine.Path = "mode"
)

// gitlabServerAddress turns the stack's endpoint into ServerAddress
// (host[:port], no scheme) and Insecure; "" is AWS.
func gitlabServerAddress(endpoint string) (addr string, insecure bool, err error) {
	if endpoint == "" {
		return gitlabAWSServerAddress, false, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return "", false, fmt.Errorf("endpoint %q is not an http:// or https:// URL, which GitLab Runner needs", endpoint)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("endpoint %q has more than a scheme, host and port, and GitLab Runner's ServerAddress is host[:port] only", endpoint)
	}
	return u.Host, u.Scheme == "http", nil
}

// gitlabRunnerCacheConfig is what the runner's cache settings need.
type gitlabRunnerCacheConfig struct {
	// Name is the access entry's, for the address.
	Name  string
	Stack string
	// Path is the config.toml; Runner the name of its [[runners]] entry.
	Path   string
	Runner string
	Bucket string
	Region string
	// ServerAddress and Insecure say where the bucket is served.
	ServerAddress string
	Insecure      bool
	// CachePath is the access entry's prefix without its final slash, ""
	// for none.
	CachePath string
	// Credentials is the profile holding the key of the entry's user,
	// read at plan time for the diff and at apply time for the values.
	Credentials *CredentialsProfile
	// KeyAddr is the access key's address: when it plans a new key, the
	// file follows (Follow).
	KeyAddr engine.Address
	After   []engine.Address
	FS      localfile.System
}

// GitLabRunnerCache is [runners.cache] and [runners.cache.s3] of one
// [[runners]] entry of a GitLab Runner config.toml. Unlike a
// ManagedBlock, it holds the access key's secret: the values are typed
// (Shared is a boolean), the secret is read from the credentials file at
// apply time (the key may be created in the same run) and is only ever a
// sensitive diff, and the file is made 0600 when awsboot writes it.
//
// Only awsboot's keys are written; every other byte of the file stays:
// comments, the other runners, tokens, order. A table awsboot has to
// create gets the stack's marker comment on its header, so teardown,
// which removes awsboot's keys, also removes those tables and gives the
// file back byte for byte. The settings are this stack's when BucketName
// is its bucket (or AccessKey its key: a BucketName changed by hand is
// drift); a runner whose cache is set up otherwise (another bucket,
// another type) is someone else's, refused without --adopt like a
// Bacalhau publisher (ManagedBlockConfig.Exclusive).
type GitLabRunnerCache struct {
	engine.Meta
	cfg gitlabRunnerCacheConfig
}

// NewGitLabRunnerCache returns the cache settings of the runner an access
// entry names.
func NewGitLabRunnerCache(t Target) (*GitLabRunnerCache, error) {
	addr, insecure, err := gitlabServerAddress(t.Endpoint)
	if err != nil {
		return nil, err
	}
	cfg := gitlabRunnerCacheConfig{
		Name: t.Access.Name, Stack: t.Spec.Stack, Path: t.Path(KeyGitLabRunner), Runner: t.Access.Write[KeyGitLabRunnerName],
		Bucket: t.Spec.Bucket.Name, Region: t.Region, ServerAddress: addr, Insecure: insecure,
		CachePath:   strings.TrimSuffix(t.Access.Prefix, "/"),
		Credentials: NewCredentialsProfile(t.FS, t.Spec.Stack, t.Files.Credentials, t.Access.Write[KeyAWSProfile]),
		KeyAddr:     t.KeyAddr, After: []engine.Address{t.BucketAddr, t.KeyAddr}, FS: t.FS,
	}
	return &GitLabRunnerCache{cfg: cfg, Meta: engine.Meta{
		Address: engine.Addr("gitlab_runner_config", cfg.Name), After: cfg.After,
		What: fmt.Sprintf("the cache settings of GitLab runner %q in %s", cfg.Runner, cfg.Path),
	}}, nil
}

func (r *GitLabRunnerCache) element() localfile.TOMLElement {
	return localfile.TOMLElement{Array: "runners", Key: "name", Value: r.cfg.Runner}
}

// gitlabSetting is one key awsboot wants in a table: Value, or (Unset)
// none, where a false or empty value counts as none.
type gitlabSetting struct {
	table []string
	path  engine.Path
	key   string
	value localfile.TOMLValue
	unset bool
}

// settings are the wanted keys but the credentials, in the order written.
func (r *GitLabRunnerCache) settings() []gitlabSetting {
	c := func(k string, v localfile.TOMLValue) gitlabSetting {
		return gitlabSetting{table: gitlabCacheTable, path: pathGitLabCache, key: k, value: v}
	}
	s := func(k string, v localfile.TOMLValue) gitlabSetting {
		return gitlabSetting{table: gitlabS3Table, path: pathGitLabS3, key: k, value: v}
	}
	path := c(gitlabPath, localfile.TOMLString(r.cfg.CachePath))
	path.unset = r.cfg.CachePath == ""
	insecure := s(gitlabInsecure, localfile.TOMLBool(true))
	insecure.unset = !r.cfg.Insecure
	return []gitlabSetting{
		c(gitlabType, localfile.TOMLString("s3")),
		c(gitlabShared, localfile.TOMLBool(true)),
		path,
		s(gitlabServerAddressKey, localfile.TOMLString(r.cfg.ServerAddress)),
		s(gitlabBucketName, localfile.TOMLString(r.cfg.Bucket)),
		s(gitlabBucketLocation, localfile.TOMLString(r.cfg.Region)),
		s(gitlabAuthenticationType, localfile.TOMLString(gitlabAccessKeyAuth)),
		insecure,
	}
}

// gitlabOwnedKeys are every key awsboot writes, by table.
var gitlabOwnedKeys = map[string][]string{
	"cache": {gitlabType, gitlabShared, gitlabPath},
	"s3":    {gitlabServerAddressKey, gitlabBucketName, gitlabBucketLocation, gitlabAuthenticationType, gitlabInsecure, gitlabAccessKey, gitlabSecretKey},
}

// gitlabRunnerState is what Read found. The SecretKey in the file is
// kept only as an engine.Secret, never among the values.
type gitlabRunnerState struct {
	// found is false when the file or the runner is missing.
	found bool
	// cache and s3 are the keys of the two tables (s3 without
	// SecretKey).
	cache, s3 map[string]localfile.TOMLValue
	secret    engine.Secret
	hasSecret bool
	// key is the entry's access key in the credentials file.
	key  awskinds.StoredKey
	perm fs.FileMode
	// saved is whether config.toml.awsboot-prior holds this stack's
	// copy of the file as it was before awsboot.
	saved bool
}

func (st gitlabRunnerState) values(table []string) map[string]localfile.TOMLValue {
	if len(table) == 1 {
		return st.cache
	}
	return st.s3
}

// looser reports permission bits beyond the owner's read and write.
func looser(perm fs.FileMode) bool { return perm&^0o600 != 0 }

// Read implements engine.Kind. A missing file or runner is no error:
// nothing is written until the runner is registered, and the plan says
// so in a note.
func (r *GitLabRunnerCache) Read(context.Context) (*engine.Observation, gitlabRunnerState, error) {
	var st gitlabRunnerState
	data, exists, err := r.cfg.FS.ReadFile(r.cfg.Path)
	if err != nil {
		return nil, st, fmt.Errorf("reading %s: %w", r.cfg.Path, err)
	}
	if !exists {
		return &engine.Observation{Notes: []string{r.missingNote(r.cfg.Path + " does not exist")}}, st, nil
	}
	cache, err := localfile.ReadTOMLTable(data, r.element(), gitlabCacheTable)
	if err != nil {
		return nil, st, fmt.Errorf("%s: %w%s", r.cfg.Path, err, fixOrMoveAway)
	}
	prior, err := readPrior(r.cfg.FS, r.cfg.Path, r.cfg.Stack)
	if err != nil {
		return nil, st, err
	}
	if !cache.Found {
		return &engine.Observation{Notes: []string{r.missingNote(fmt.Sprintf("%s has no [[runners]] entry with name = %q", r.cfg.Path, r.cfg.Runner))}}, st, nil
	}
	s3, err := localfile.ReadTOMLTable(data, r.element(), gitlabS3Table)
	if err != nil {
		return nil, st, fmt.Errorf("%s: %w%s", r.cfg.Path, err, fixOrMoveAway)
	}
	st.found, st.cache, st.s3, st.saved = true, cache.Values, s3.Values, prior != nil
	if v, ok := st.s3[gitlabSecretKey]; ok {
		st.secret, st.hasSecret = engine.NewSecret(v.String()), true
		delete(st.s3, gitlabSecretKey)
	}
	if st.key, err = r.cfg.Credentials.Load(); err != nil {
		return nil, st, err
	}
	if st.perm, _, err = r.cfg.FS.Perm(r.cfg.Path); err != nil {
		return nil, st, err
	}
	o := &engine.Observation{Exists: r.present(st)}
	if r.owned(st.s3, st.key) {
		o.Owner = r.cfg.Stack
	}
	if o.Owner == "" && prior.putBack(data, true) {
		o.Exists, o.Owner = true, r.cfg.Stack
	}
	if o.Exists && looser(st.perm) && len(r.fieldDiffs(st)) == 0 {
		o.Notes = append(o.Notes, fmt.Sprintf("%s is mode %04o and holds the cache's secret key: run chmod 600 %s (awsboot makes it 0600 only when it writes it)", r.cfg.Path, st.perm, r.cfg.Path))
	}
	return o, st, nil
}

// owned reports settings that are this stack's: BucketName is its
// bucket, or AccessKey is the stack's key (so a BucketName changed by
// hand is drift to repair, not someone else's cache).
func (r *GitLabRunnerCache) owned(s3 map[string]localfile.TOMLValue, key awskinds.StoredKey) bool {
	if s3[gitlabBucketName] == localfile.TOMLString(r.cfg.Bucket) {
		return true
	}
	return key.ID != "" && key.Owner == r.cfg.Stack && s3[gitlabAccessKey] == localfile.TOMLString(key.ID)
}

// missingNote says why nothing is written yet.
func (r *GitLabRunnerCache) missingNote(why string) string {
	return fmt.Sprintf("%s, so awsboot writes no cache settings for it: register the runner (gitlab-runner register --name %q) or fix write.gitlab_runner and write.gitlab_runner_name, then run bootstrap again", why, r.cfg.Runner)
}

// present reports whether any key awsboot writes is in the file.
func (r *GitLabRunnerCache) present(st gitlabRunnerState) bool {
	for table, keys := range gitlabOwnedKeys {
		values := st.cache
		if table == "s3" {
			values = st.s3
		}
		for _, k := range keys {
			if _, ok := values[k]; ok {
				return true
			}
		}
	}
	return st.hasSecret
}

// Diff implements engine.Kind. The secret is compared in memory and shown
// only as a sensitive diff; before the key exists (the first bootstrap)
// AccessKey is known after apply.
func (r *GitLabRunnerCache) Diff(o *engine.Observation, st gitlabRunnerState) ([]engine.FieldDiff, error) {
	if !st.found {
		return nil, nil
	}
	var d []engine.FieldDiff
	if !o.Exists {
		d = append(d, engine.Added(pathFile, r.cfg.Path), engine.Added(pathGitLabRunner, r.cfg.Runner))
	}
	d = append(d, r.fieldDiffs(st)...)
	if len(d) > 0 && looser(st.perm) {
		d = append(d, engine.FieldDiff{Path: pathGitLabMode, Before: fmt.Sprintf("%04o", st.perm), After: "0600"})
	}
	return d, nil
}

// fieldDiffs are the keys to change.
func (r *GitLabRunnerCache) fieldDiffs(st gitlabRunnerState) []engine.FieldDiff {
	var d []engine.FieldDiff
	for _, s := range r.settings() {
		cur, ok := st.values(s.table)[s.key]
		path := s.path.Key(s.key)
		switch {
		case s.unset:
			if ok && !isZero(cur) {
				d = append(d, engine.Removed(path, cur.String()))
			}
		case !ok:
			d = append(d, engine.Added(path, s.value.String()))
		case cur != s.value:
			d = append(d, engine.FieldDiff{Path: path, Before: shown(cur, s.value), After: s.value.String()})
		}
	}
	path := pathGitLabS3.Key(gitlabAccessKey)
	cur, ok := st.s3[gitlabAccessKey]
	switch {
	case st.key.ID == "":
		d = append(d, engine.FieldDiff{Path: path, Before: cur.String(), Unknown: true})
	case !ok:
		d = append(d, engine.Added(path, st.key.ID))
	case cur != localfile.TOMLString(st.key.ID):
		d = append(d, engine.FieldDiff{Path: path, Before: shown(cur, localfile.TOMLString(st.key.ID)), After: st.key.ID})
	}
	if st.key.Secret.IsZero() || !st.hasSecret || st.secret.Reveal() != st.key.Secret.Reveal() {
		d = append(d, engine.FieldDiff{Path: pathGitLabS3.Key(gitlabSecretKey), Sensitive: true})
	}
	return d
}

// Follow implements engine.KindFollower: the file holds the key and its
// secret, so a new key (a rotation, or a key made again) is written here
// in the same run, after the key's change, from the profile.
func (r *GitLabRunnerCache) Follow(o *engine.Observation, st gitlabRunnerState, dep engine.Change) []engine.FieldDiff {
	if dep.Addr != r.cfg.KeyAddr || !st.found || !o.Exists {
		return nil
	}
	return []engine.FieldDiff{
		{Path: pathGitLabS3.Key(gitlabAccessKey), Before: st.s3[gitlabAccessKey].String(), Unknown: true},
		{Path: pathGitLabS3.Key(gitlabSecretKey), Sensitive: true},
	}
}

// isZero reports a false or empty value, which GitLab Runner reads as an
// unset key.
func isZero(v localfile.TOMLValue) bool {
	return v == localfile.TOMLBool(false) || v == localfile.TOMLString("")
}

// shown is cur for a diff: as TOML text when its type is not want's (a
// string "true" where a boolean belongs).
func shown(cur, want localfile.TOMLValue) string {
	if cur.IsString() != want.IsString() || cur.IsBool() != want.IsBool() {
		return cur.TOML()
	}
	return cur.String()
}

// Create implements engine.Kind.
func (r *GitLabRunnerCache) Create(context.Context, *engine.Observation, gitlabRunnerState) error {
	return r.write()
}

// Update implements engine.Kind.
func (r *GitLabRunnerCache) Update(context.Context, *engine.Observation, gitlabRunnerState, []engine.FieldDiff) error {
	return r.write()
}

// write re-reads the file and the key under the file's lock (both may
// have changed since the plan; the key may have been made in this run),
// sets awsboot's keys and writes the file 0600, or keeping a stricter
// mode.
func (r *GitLabRunnerCache) write() error {
	return r.edit(func(data []byte, cache, s3 localfile.TOMLTable) ([]byte, error) {
		key, err := r.cfg.Credentials.Load()
		if err != nil {
			return nil, err
		}
		if key.ID == "" || key.Secret.IsZero() {
			return nil, fmt.Errorf("profile %q of %s holds no access key to write into %s; run bootstrap again", r.cfg.Credentials.Profile(), r.cfg.Credentials.Path(), r.cfg.Path)
		}
		// Before the first write of this stack's settings (a register's
		// empty tables, or another cache adopted with --adopt), the file
		// as it was is saved for teardown to put back.
		if !r.owned(s3.Values, key) {
			if err := writePrior(r.cfg.FS, r.cfg.Path, r.cfg.Stack, data, true); err != nil {
				return nil, err
			}
		}
		edits := []localfile.TOMLEdit{{Table: gitlabCacheTable}, {Table: gitlabS3Table}}
		found := []localfile.TOMLTable{cache, s3}
		for _, s := range r.settings() {
			e := &edits[len(s.table)-1]
			cur, ok := found[len(s.table)-1].Values[s.key]
			switch {
			case !s.unset:
				e.Set = append(e.Set, localfile.TOMLKeyValue{Key: s.key, Value: s.value})
			case ok && !isZero(cur):
				e.Unset = append(e.Unset, s.key)
			}
		}
		edits[1].Set = append(edits[1].Set,
			localfile.TOMLKeyValue{Key: gitlabAccessKey, Value: localfile.TOMLString(key.ID)},
			// The runner signs with the secret itself: this file and the
			// credentials file are the two places it is written.
			localfile.TOMLKeyValue{Key: gitlabSecretKey, Value: localfile.TOMLString(key.Secret.Reveal())})
		return localfile.EditTOML(data, r.element(), edits, Marker(r.cfg.Stack))
	}, true)
}

// Delete implements engine.Kind: awsboot's keys go, and the tables awsboot
// added. When the rest of the file is what it was when awsboot first
// wrote (the saved original, less the same keys), the saved original is
// put back byte for byte: a cache adopted with --adopt comes back.
// Settings that are no longer this stack's (changed since the plan) are
// left alone.
func (r *GitLabRunnerCache) Delete(context.Context, *engine.Observation, gitlabRunnerState) error {
	dropCopy := false
	err := r.edit(func(data []byte, _, s3 localfile.TOMLTable) ([]byte, error) {
		prior, err := readPrior(r.cfg.FS, r.cfg.Path, r.cfg.Stack)
		if err != nil {
			return nil, err
		}
		key, err := r.cfg.Credentials.Load()
		if err != nil {
			return nil, err
		}
		if !r.owned(s3.Values, key) {
			// Put back already by a teardown that stopped before
			// deleting the copy: only the copy is left to delete.
			dropCopy = prior.putBack(data, true)
			return data, nil
		}
		dropCopy = prior != nil
		out, err := r.removeOwn(data)
		if err != nil || prior == nil {
			return out, err
		}
		if before, err := r.removeOwn(prior.Content); err == nil && bytes.Equal(before, out) {
			return prior.Content, nil
		}
		return out, nil
	}, false)
	if err != nil || !dropCopy {
		return err
	}
	return r.cfg.FS.Remove(r.cfg.Path + priorSuffix)
}

// removeOwn takes awsboot's keys out of data, and the tables awsboot added
// once empty.
func (r *GitLabRunnerCache) removeOwn(data []byte) ([]byte, error) {
	edits := []localfile.TOMLEdit{
		{Table: gitlabCacheTable, Unset: gitlabOwnedKeys["cache"]},
		{Table: gitlabS3Table, Unset: gitlabOwnedKeys["s3"]},
	}
	return localfile.EditTOML(data, r.element(), edits, Marker(r.cfg.Stack))
}

// edit runs change on the file under its lock and writes the result,
// atomically with a backup. With tighten, a mode looser than 0600 becomes
// 0600; otherwise the mode is kept. A file or runner that is gone is an
// error for a write and nothing to do for a delete.
func (r *GitLabRunnerCache) edit(change func(data []byte, cache, s3 localfile.TOMLTable) ([]byte, error), tighten bool) error {
	unlock, err := r.cfg.FS.Lock(r.cfg.Path)
	if err != nil {
		return err
	}
	defer unlock()
	data, exists, err := r.cfg.FS.ReadFile(r.cfg.Path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", r.cfg.Path, err)
	}
	var cache, s3 localfile.TOMLTable
	if exists {
		if cache, err = localfile.ReadTOMLTable(data, r.element(), gitlabCacheTable); err == nil {
			s3, err = localfile.ReadTOMLTable(data, r.element(), gitlabS3Table)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", r.cfg.Path, err)
		}
	}
	if !cache.Found {
		if !tighten {
			return nil
		}
		return fmt.Errorf("%s has no [[runners]] entry with name = %q any more: it changed since the plan; run bootstrap again", r.cfg.Path, r.cfg.Runner)
	}
	out, err := change(data, cache, s3)
	if err != nil {
		return fmt.Errorf("%s: %w", r.cfg.Path, err)
	}
	perm, _, err := r.cfg.FS.Perm(r.cfg.Path)
	if err != nil {
		return err
	}
	if tighten && looser(perm) {
		perm = 0o600
	}
	return r.cfg.FS.WriteFile(r.cfg.Path, out, perm)
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (r *GitLabRunnerCache) DestroyDescription(_ *engine.Observation, st gitlabRunnerState) string {
	if st.saved {
		return fmt.Sprintf("removes awsboot's cache settings of runner %q in %s and puts back any it replaced (saved in %s); every other line stays byte for byte",
			r.cfg.Runner, r.cfg.Path, r.cfg.Path+priorSuffix)
	}
	return fmt.Sprintf("removes %s from [runners.cache] and %s from [runners.cache.s3] of runner %q in %s, and those tables when awsboot added them; every other line stays byte for byte",
		strings.Join(gitlabOwnedKeys["cache"], ", "), strings.Join(gitlabOwnedKeys["s3"], ", "), r.cfg.Runner, r.cfg.Path)
}

// Summary implements engine.KindSummarizer for `awsboot show`: the file
// and the runner whose cache settings awsboot wrote; never the settings'
// values, which include the key's secret.
func (r *GitLabRunnerCache) Summary(*engine.Observation, gitlabRunnerState) []engine.KV {
	return []engine.KV{{Key: "file", Value: r.cfg.Path}, {Key: "runner", Value: r.cfg.Runner}}
}
