package consumers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// The write keys of the AWS profile consumer.
const (
	KeyAWSProfile           = "aws_profile"
	KeyWebIdentityTokenFile = "web_identity_token_file"
)

var profileRe = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]+$`)

// awsProfileConsumer writes a profile into the shared AWS files: for user
// access the key into ~/.aws/credentials (through the access key, see
// CredentialsProfile) and region and endpoint into ~/.aws/config; for role
// access a config profile that assumes the role with a web identity
// token file.
var awsProfileConsumer = Consumer{
	Key:     KeyAWSProfile,
	Summary: "a profile in the shared AWS config and credentials files",
	For:     AnyAccess,
	Check: func(v *spec.Validator, s *spec.Spec, i int) {
		a := s.Access[i]
		p := func(f ...any) []any { return append([]any{"access", i}, f...) }
		profile := a.Write[KeyAWSProfile]
		switch {
		case a.User != "" && a.Role == "" && profile == "":
			v.Errorf(p("write", KeyAWSProfile), "is required with user: the new access key's secret is shown only once and awsboot must store it in a profile")
		case a.User == "" && a.Role != "" && profile != "" && a.Write[KeyWebIdentityTokenFile] == "":
			v.Errorf(p("write", KeyAWSProfile), "with role, a profile needs write.web_identity_token_file (the file the runner keeps the OIDC token in); no secret is ever written for OIDC access")
		}
		if profile != "" && (len(profile) > 64 || !profileRe.MatchString(profile)) {
			v.Errorf(p("write", KeyAWSProfile), "%q is not a valid profile name", profile)
		}
		v.Unique(KeyAWSProfile, profile, i, p("write", KeyAWSProfile))
	},
	Build: func(t Target) ([]engine.Resource, error) {
		cfg := AWSProfileConfig{
			Stack: t.Spec.Stack, Profile: t.Access.Write[KeyAWSProfile], Path: t.Files.Config,
			Region: t.Region, Endpoint: t.Endpoint, PathStyle: t.PathStyle && t.Endpoint != "", FS: t.FS,
		}
		if t.Access.Role != "" {
			cfg.RoleARN, cfg.TokenFile, cfg.After = t.RoleARN, t.Path(KeyWebIdentityTokenFile), []engine.Address{t.GrantAddr}
		} else {
			cfg.After = []engine.Address{t.KeyAddr}
		}
		return []engine.Resource{engine.Typed(NewAWSProfile(cfg))}, nil
	},
}

// webIdentityTokenFileOption is read by awsProfileConsumer's Build: the
// file the runner keeps the OIDC token in, for a role's profile.
var webIdentityTokenFileOption = Consumer{
	Key:         KeyWebIdentityTokenFile,
	Summary:     "the OIDC token file a role's profile reads (with aws_profile)",
	For:         RoleAccess,
	WrongAccess: "is for role (OIDC) access; a user's key goes to write.aws_profile",
	Check: func(v *spec.Validator, s *spec.Spec, i int) {
		a := s.Access[i]
		if a.User == "" && a.Role != "" && a.Write[KeyWebIdentityTokenFile] != "" && a.Write[KeyAWSProfile] == "" {
			v.Errorf([]any{"access", i, "write", KeyWebIdentityTokenFile}, "needs write.aws_profile: the profile that reads the token")
		}
	},
}

// AWSFiles are the shared config and credentials files awsboot writes
// profiles to. They follow the SDK's rules: AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials.
type AWSFiles struct {
	Config      string
	Credentials string
}

// DefaultAWSFiles resolves the files the way aws-sdk-go-v2/config does:
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE as written, else
// .aws/config and .aws/credentials in the home directory ($HOME, else the
// user database's, as internal/shareddefaults.UserHomeDir). It refuses
// what the tools would read differently: a path starting with "~" (the
// AWS CLI expands it, the Go SDK takes it literally, relative to the
// working directory) and no home directory at all (the files would land
// in the working directory, where no SDK looks).
func DefaultAWSFiles() (AWSFiles, error) {
	f := AWSFiles{Config: os.Getenv("AWS_CONFIG_FILE"), Credentials: os.Getenv("AWS_SHARED_CREDENTIALS_FILE")}
	for _, v := range []struct{ name, val string }{{"AWS_CONFIG_FILE", f.Config}, {"AWS_SHARED_CREDENTIALS_FILE", f.Credentials}} {
		if strings.HasPrefix(v.val, "~") {
			return AWSFiles{}, fmt.Errorf("%s is %q: the AWS CLI expands a leading ~ but the AWS SDKs for Go and Java read it literally, "+
				"so tools would disagree on the file; write the full path, like %s=$HOME%s", v.name, v.val, v.name, strings.TrimPrefix(v.val, "~"))
		}
	}
	if f.Config != "" && f.Credentials != "" {
		return f, nil
	}
	home := localfile.HomeDir()
	if home == "" {
		return AWSFiles{}, errors.New("no home directory (HOME is not set and the user has none): the AWS SDKs would not find ~/.aws; set HOME, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE")
	}
	if f.Config == "" {
		f.Config = filepath.Join(home, ".aws", "config")
	}
	if f.Credentials == "" {
		f.Credentials = filepath.Join(home, ".aws", "credentials")
	}
	return f, nil
}

// sectionOwner returns the stack named by the section's marker comment.
func sectionOwner(f *localfile.INI, section string) string {
	for _, c := range f.Comments(section) {
		if owner, ok := markerOwner(c); ok {
			return owner
		}
	}
	return ""
}

// ErrAmbiguousProfile is returned when a shared file defines a profile so
// that awsboot's reading could differ from the AWS SDKs': the same
// section twice, or both [default] and [profile default] in the config
// file.
var ErrAmbiguousProfile = errors.New("ambiguous profile")

// unambiguous checks that section is defined once in f (the file at
// path), so the SDKs, which merge repeated sections with later keys
// winning, read the same keys awsboot does. It looks at the section only;
// line numbers are worked out for the message alone.
func unambiguous(f *localfile.INI, path, section string) error {
	if f.Defined(section) > 1 {
		lines := f.HeaderLines(section)
		return fmt.Errorf("%s:%d: section [%s] appears %d times (lines %s), and the AWS SDKs merge them with the later keys winning: %w; merge them into one section and run again",
			path, lines[1], section, len(lines), joinInts(lines), ErrAmbiguousProfile)
	}
	if k, ok := f.RepeatedKey(section); ok {
		lines := f.KeyLines(section, k)
		return fmt.Errorf("%s:%d: %s is set %d times in [%s] (lines %s), and the AWS SDK for Go uses the last: %w; keep one and run again",
			path, lines[1], k, len(lines), section, joinInts(lines), ErrAmbiguousProfile)
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// readINI reads and parses a shared file; a missing file is empty. A
// file the AWS SDK for Go cannot read (one starting with a UTF-8 byte
// order mark, as some Windows editors save it) is refused. Through the
// stack's Gate, a plan parses each file once and every profile and key
// reads that one parse (localfile.ReadINI): it must not be edited.
func readINI(fs localfile.System, path string) (*localfile.INI, error) {
	f, err := localfile.ReadINI(fs, path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return f, refuseBOM(f, path)
}

// refuseBOM refuses a file that starts with a UTF-8 byte order mark.
func refuseBOM(f *localfile.INI, path string) error {
	if f.HasBOM() {
		return fmt.Errorf("%s:1: the file starts with a UTF-8 byte order mark, and the AWS SDK for Go then reads none of it: %w; save it without the mark (as UTF-8 without BOM) and run again", path, ErrAmbiguousProfile)
	}
	return nil
}

// editINI re-reads a shared file under its lock (it may have changed
// since the plan), lets edit change it, and writes it back atomically,
// 0600 in a 0700 directory with a backup, when edit reports a change
// (localfile.EditINI: through the stack's Gate, successive edits of one
// file reuse its parse).
func editINI(fs localfile.System, path string, edit func(f *localfile.INI) (bool, error)) error {
	return localfile.EditINI(fs, path, func(f *localfile.INI) (bool, error) {
		if err := refuseBOM(f, path); err != nil {
			return false, err
		}
		return edit(f)
	})
}

// AWSProfileConfig is what a config-file profile needs.
type AWSProfileConfig struct {
	Stack   string
	Profile string
	// Path is the shared config file.
	Path     string
	Region   string
	Endpoint string
	// PathStyle adds s3.addressing_style = path.
	PathStyle bool
	// RoleARN and TokenFile make a profile that assumes a role with a web
	// identity token kept in a file (role access); empty for user access,
	// whose key lives in the credentials file.
	RoleARN   string
	TokenFile string
	// After lists what must exist before the profile is useful.
	After []engine.Address
	FS    localfile.System
}

// AWSProfile is the profile section of the shared config file: region,
// output format and, against a custom endpoint, endpoint_url and path
// style addressing, so the written profile talks to the same service.
// With RoleARN the SDKs and CLI assume the role themselves, refreshing
// the session from the token file, and no secret is stored.
type AWSProfile struct {
	engine.Meta
	cfg AWSProfileConfig
}

// NewAWSProfile returns the config-file profile resource.
func NewAWSProfile(cfg AWSProfileConfig) *AWSProfile {
	return &AWSProfile{cfg: cfg, Meta: engine.Meta{
		Address: engine.Addr("aws_profile", cfg.Profile), After: cfg.After,
		What: fmt.Sprintf("profile %q in %s", cfg.Profile, cfg.Path),
	}}
}

func (p *AWSProfile) section() string { return localfile.ConfigSectionName(p.cfg.Profile) }

// sectionIn is the profile's section in the config file f, as the AWS SDK
// for Go resolves it: for the default profile a [profile default]
// section, when there is one, replaces [default]
// (aws-sdk-go-v2/config renameProfileSection). Both at once, or a section
// defined twice, is refused: the file says two things.
func (p *AWSProfile) sectionIn(f *localfile.INI) (string, error) {
	name := p.section()
	if name == "default" && f.HasSection("profile default") {
		if f.HasSection("default") {
			return "", fmt.Errorf("%s:%d: both [default] (line %d) and [profile default] define the default profile, and the AWS SDK for Go uses only [profile default]: %w; keep one of them and run again",
				p.cfg.Path, f.HeaderLines("profile default")[0], f.HeaderLines("default")[0], ErrAmbiguousProfile)
		}
		name = "profile default"
	}
	return name, unambiguous(f, p.cfg.Path, name)
}

// The paths AWSProfile diffs besides its keys, which are named as in the
// file.
const (
	pathFile          engine.Path = "file"
	pathMarker        engine.Path = "marker"
	pathAddressing    engine.Path = "s3.addressing_style"
	keyAddressing                 = "addressing_style"
	keyAddressingPath             = "path"
)

func (p *AWSProfile) desired() [][2]string {
	kv := [][2]string{{"region", p.cfg.Region}, {"output", "json"}}
	if p.cfg.RoleARN != "" {
		kv = append(kv, [2]string{"role_arn", p.cfg.RoleARN}, [2]string{"web_identity_token_file", p.cfg.TokenFile}, [2]string{"role_session_name", "awsboot-" + p.cfg.Stack})
	}
	if p.cfg.Endpoint != "" {
		kv = append(kv, [2]string{"endpoint_url", p.cfg.Endpoint})
	}
	return kv
}

// Read implements engine.Kind.
func (p *AWSProfile) Read(context.Context) (*engine.Observation, *localfile.INI, error) {
	f, err := readINI(p.cfg.FS, p.cfg.Path)
	if err != nil {
		return nil, nil, err
	}
	section, err := p.sectionIn(f)
	if err != nil {
		return nil, nil, err
	}
	if !f.HasSection(section) {
		return &engine.Observation{}, f, nil
	}
	return &engine.Observation{Exists: true, Owner: sectionOwner(f, section)}, f, nil
}

// Diff implements engine.Kind.
func (p *AWSProfile) Diff(o *engine.Observation, f *localfile.INI) ([]engine.FieldDiff, error) {
	if !o.Exists {
		d := []engine.FieldDiff{engine.Added(pathFile, p.cfg.Path)}
		for _, kv := range p.desired() {
			d = append(d, engine.Added(engine.Path(kv[0]), kv[1]))
		}
		if p.cfg.PathStyle {
			d = append(d, engine.Added(pathAddressing, keyAddressingPath))
		}
		return d, nil
	}
	section, err := p.sectionIn(f)
	if err != nil {
		return nil, err
	}
	d := engine.DiffField(nil, pathMarker, sectionOwner(f, section), p.cfg.Stack)
	for _, kv := range p.desired() {
		v, _ := f.Get(section, kv[0])
		d = engine.DiffField(d, engine.Path(kv[0]), v, kv[1])
	}
	if p.cfg.PathStyle {
		v, _ := f.GetNested(section, "s3", keyAddressing)
		d = engine.DiffField(d, pathAddressing, v, keyAddressingPath)
	}
	return d, nil
}

// Create implements engine.Kind.
func (p *AWSProfile) Create(context.Context, *engine.Observation, *localfile.INI) error {
	return p.write()
}

// Update implements engine.Kind.
func (p *AWSProfile) Update(context.Context, *engine.Observation, *localfile.INI, []engine.FieldDiff) error {
	return p.write()
}

// write sets only awsboot's keys in its own section.
func (p *AWSProfile) write() error {
	return editINI(p.cfg.FS, p.cfg.Path, func(f *localfile.INI) (bool, error) {
		section, err := p.sectionIn(f)
		if err != nil {
			return false, err
		}
		if sectionOwner(f, section) != p.cfg.Stack {
			f.AddComment(section, Marker(p.cfg.Stack))
		}
		for _, kv := range p.desired() {
			f.Set(section, kv[0], kv[1])
		}
		if p.cfg.PathStyle {
			f.SetNested(section, "s3", keyAddressing, keyAddressingPath)
		}
		return true, nil
	})
}

// Delete implements engine.Kind: the whole section goes, nothing else.
func (p *AWSProfile) Delete(context.Context, *engine.Observation, *localfile.INI) error {
	return editINI(p.cfg.FS, p.cfg.Path, func(f *localfile.INI) (bool, error) {
		section, err := p.sectionIn(f)
		if err != nil {
			return false, err
		}
		return sectionOwner(f, section) == p.cfg.Stack && f.RemoveSection(section), nil
	})
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (p *AWSProfile) DestroyDescription(*engine.Observation, *localfile.INI) string {
	return fmt.Sprintf("removes section [%s] from %s; the rest of the file stays byte for byte", p.section(), p.cfg.Path)
}

// CredentialsProfile is one profile of the shared credentials file, the
// store of an access key's secret (awskinds.KeyStore): aws_access_key_id
// is the key id and aws_secret_access_key the secret (the Semaphore
// guide swaps them).
type CredentialsProfile struct {
	stack   string
	path    string
	profile string
	fs      localfile.System
}

// NewCredentialsProfile returns the store for profile in the credentials
// file at path.
func NewCredentialsProfile(fs localfile.System, stack, path, profile string) *CredentialsProfile {
	return &CredentialsProfile{stack: stack, path: path, profile: profile, fs: fs}
}

// Path implements awskinds.KeyStore.
func (c *CredentialsProfile) Path() string { return c.path }

// Profile implements awskinds.KeyStore.
func (c *CredentialsProfile) Profile() string { return c.profile }

// Load implements awskinds.KeyStore.
func (c *CredentialsProfile) Load() (awskinds.StoredKey, error) {
	f, err := readINI(c.fs, c.path)
	if err != nil || !f.HasSection(c.profile) {
		return awskinds.StoredKey{}, err
	}
	if err := unambiguous(f, c.path, c.profile); err != nil {
		return awskinds.StoredKey{}, err
	}
	id, _ := f.Get(c.profile, "aws_access_key_id")
	secret, _ := f.Get(c.profile, "aws_secret_access_key")
	proven := id != "" && secret != "" && slices.Contains(f.Comments(c.profile), provenComment(id, secret))
	return awskinds.StoredKey{Section: true, Owner: sectionOwner(f, c.profile), ID: id, Secret: engine.NewSecret(secret), Proven: proven}, nil
}

// provenPrefix starts the comment that says STS accepted the profile's
// key (CredentialsProfile.MarkProven).
const provenPrefix = "# awsboot: STS accepted key "

// provenComment is the proof comment for a key and secret: the key's id
// and a SHA-256 fingerprint of id and secret, so the mark holds for
// exactly the pair that was proven and no other. (The file holds the
// secret itself; the fingerprint reveals nothing more.)
func provenComment(id, secret string) string {
	sum := sha256.Sum256([]byte("awsboot proven key\x00" + id + "\x00" + secret))
	return provenPrefix + id + " " + hex.EncodeToString(sum[:16])
}

// MarkProven implements awskinds.KeyStore: one comment line in the
// profile's section, rewritten for a new key.
func (c *CredentialsProfile) MarkProven(id string, secret engine.Secret) error {
	return editINI(c.fs, c.path, func(f *localfile.INI) (bool, error) {
		if err := unambiguous(f, c.path, c.profile); err != nil {
			return false, err
		}
		if cur, _ := f.Get(c.profile, "aws_access_key_id"); cur != id || sectionOwner(f, c.profile) != c.stack {
			// Another run replaced the key meanwhile: nothing to mark.
			return false, nil
		}
		mark := provenComment(id, secret.Reveal())
		if slices.Contains(f.Comments(c.profile), mark) {
			return false, nil
		}
		f.SetComment(c.profile, provenPrefix, mark)
		return true, nil
	})
}

// Save implements awskinds.KeyStore, keeping the rest of the file byte
// for byte.
func (c *CredentialsProfile) Save(id string, secret engine.Secret) error {
	return editINI(c.fs, c.path, func(f *localfile.INI) (bool, error) {
		if err := unambiguous(f, c.path, c.profile); err != nil {
			return false, err
		}
		if sectionOwner(f, c.profile) != c.stack {
			f.AddComment(c.profile, Marker(c.stack))
		}
		f.Set(c.profile, "aws_access_key_id", id)
		f.Set(c.profile, "aws_secret_access_key", secret.Reveal())
		return true, nil
	})
}

// Remove implements awskinds.KeyStore.
func (c *CredentialsProfile) Remove() error {
	return editINI(c.fs, c.path, func(f *localfile.INI) (bool, error) {
		return sectionOwner(f, c.profile) == c.stack && f.RemoveSection(c.profile), nil
	})
}

// markerPrefix starts the comment awsboot puts in every profile section
// and snippet it writes. Files cannot carry tags, so this comment is how
// teardown knows which sections are its own.
const markerPrefix = "# managed by awsboot: stack="

// Marker is the ownership comment of a stack.
func Marker(stack string) string { return markerPrefix + stack }

// markerOwner returns the stack a marker line names.
func markerOwner(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, markerPrefix)
	if !ok {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// Summary implements engine.KindSummarizer for `awsboot show`: the file,
// the profile, and the role it assumes (role access).
func (p *AWSProfile) Summary(*engine.Observation, *localfile.INI) []engine.KV {
	kv := []engine.KV{{Key: "file", Value: p.cfg.Path}, {Key: "profile", Value: p.cfg.Profile}, {Key: "section", Value: "[" + p.section() + "]"}}
	if p.cfg.RoleARN != "" {
		kv = append(kv, engine.KV{Key: "role_arn", Value: p.cfg.RoleARN}, engine.KV{Key: "web_identity_token_file", Value: p.cfg.TokenFile})
	}
	return kv
}
