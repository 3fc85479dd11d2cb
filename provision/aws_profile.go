package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/awsboot/awsboot/provision/localfile"
)

// AWSFiles are the shared config and credentials files awsboot writes
// profiles to. They follow the SDK's rules: AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials.
type AWSFiles struct {
	Config      string
	Credentials string
}

// DefaultAWSFiles resolves the files the way the AWS CLI and SDKs do.
func DefaultAWSFiles() AWSFiles {
	home, _ := os.UserHomeDir()
	f := AWSFiles{
		Config:      filepath.Join(home, ".aws", "config"),
		Credentials: filepath.Join(home, ".aws", "credentials"),
	}
	if v := os.Getenv("AWS_CONFIG_FILE"); v != "" {
		f.Config = v
	}
	if v := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); v != "" {
		f.Credentials = v
	}
	return f
}

// markerPrefix starts the comment awsboot puts in every profile section
// it writes. Profiles cannot carry tags, so this comment is how teardown
// knows which sections are its own.
const markerPrefix = "# managed by awsboot: stack="

func marker(stack string) string { return markerPrefix + stack }

// sectionOwner returns the stack named by the section's marker comment.
func sectionOwner(f *localfile.INI, section string) string {
	for _, c := range f.Comments(section) {
		if strings.HasPrefix(c, markerPrefix) {
			return strings.TrimSpace(strings.TrimPrefix(c, markerPrefix))
		}
	}
	return ""
}

// readINI reads and parses a shared file; a missing file is empty.
func readINI(path string) (*localfile.INI, error) {
	data, _, err := localfile.ReadFileIfExists(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return localfile.ParseINI(data), nil
}

// writeINI writes a shared file atomically, 0600 in a 0700 directory,
// keeping a backup of the previous content.
func writeINI(path string, f *localfile.INI) error {
	if _, err := localfile.WriteFileAtomic(path, f.Bytes(), 0o600, true); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// AWSProfile is the profile section of the shared config file: region,
// output format and, against a custom endpoint, endpoint_url and path
// style addressing, so the written profile talks to the same service.
type AWSProfile struct {
	stack    string
	profile  string
	region   string
	endpoint string
	path     string
	after    []Address
	// roleARN and tokenFile make a profile that assumes a role with a web
	// identity token kept in a file (role access); empty for user access,
	// whose key lives in the credentials file.
	roleARN   string
	tokenFile string
	pathStyle bool
}

// NewAWSProfile returns the config-file profile for an access entry;
// after lists what must exist before the profile is useful.
func NewAWSProfile(c *Clients, s *Spec, a Access, files AWSFiles, after ...Address) *AWSProfile {
	return &AWSProfile{stack: s.Stack, profile: a.Write.AWSProfile, region: c.Region, endpoint: c.Endpoint, path: files.Config, after: after, pathStyle: c.pathStyle && c.Endpoint != ""}
}

func (p *AWSProfile) section() string { return localfile.ConfigSectionName(p.profile) }

// Addr implements Resource.
func (p *AWSProfile) Addr() Address { return Addr("aws_profile", p.profile) }

// DependsOn implements Resource.
func (p *AWSProfile) DependsOn() []Address { return p.after }

// Describe names the profile in messages.
func (p *AWSProfile) Describe() string {
	return fmt.Sprintf("profile %q in %s", p.profile, p.path)
}

// NewAWSRoleProfile returns a config-file profile that assumes roleARN
// with the OIDC token kept in tokenFile: the SDKs and CLI refresh the
// session themselves, and no secret is stored.
func NewAWSRoleProfile(c *Clients, s *Spec, a Access, files AWSFiles, roleARN string, after ...Address) *AWSProfile {
	p := NewAWSProfile(c, s, a, files, after...)
	p.roleARN, p.tokenFile = roleARN, s.Path(a.Write.WebIdentityTokenFile)
	return p
}

func (p *AWSProfile) desired() [][2]string {
	kv := [][2]string{{"region", p.region}, {"output", "json"}}
	if p.roleARN != "" {
		kv = append(kv, [2]string{"role_arn", p.roleARN}, [2]string{"web_identity_token_file", p.tokenFile}, [2]string{"role_session_name", "awsboot-" + p.stack})
	}
	if p.endpoint != "" {
		kv = append(kv, [2]string{"endpoint_url", p.endpoint})
	}
	return kv
}

// Read implements Resource.
func (p *AWSProfile) Read(context.Context) (*Observation, error) {
	f, err := readINI(p.path)
	if err != nil {
		return nil, err
	}
	if !f.HasSection(p.section()) {
		return &Observation{}, nil
	}
	return &Observation{Exists: true, Owner: sectionOwner(f, p.section()), Data: f}, nil
}

// Diff implements Resource.
func (p *AWSProfile) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		d := createFields("file", p.path)
		for _, kv := range p.desired() {
			d = append(d, FieldDiff{Path: kv[0], After: kv[1]})
		}
		if p.pathStyle {
			d = append(d, FieldDiff{Path: "s3.addressing_style", After: "path"})
		}
		return d, nil
	}
	f := o.Data.(*localfile.INI)
	var d []FieldDiff
	d = diffField(d, "marker", sectionOwner(f, p.section()), p.stack)
	for _, kv := range p.desired() {
		v, _ := f.Get(p.section(), kv[0])
		d = diffField(d, kv[0], v, kv[1])
	}
	if p.pathStyle {
		v, _ := f.GetNested(p.section(), "s3", "addressing_style")
		d = diffField(d, "s3.addressing_style", v, "path")
	}
	return d, nil
}

// Create implements Resource.
func (p *AWSProfile) Create(ctx context.Context, o *Observation) error { return p.write() }

// Update implements Resource.
func (p *AWSProfile) Update(ctx context.Context, o *Observation, _ []FieldDiff) error {
	return p.write()
}

// write re-reads the file (it may have changed since the plan) and sets
// only awsboot's keys in its own section.
func (p *AWSProfile) write() error {
	return withFileLock(p.path, p.writeLocked)
}

func (p *AWSProfile) writeLocked() error {
	f, err := readINI(p.path)
	if err != nil {
		return err
	}
	if sectionOwner(f, p.section()) != p.stack {
		f.AddComment(p.section(), marker(p.stack))
	}
	for _, kv := range p.desired() {
		f.Set(p.section(), kv[0], kv[1])
	}
	if p.pathStyle {
		f.SetNested(p.section(), "s3", "addressing_style", "path")
	}
	return writeINI(p.path, f)
}

// Delete implements Resource: the whole section goes, nothing else.
func (p *AWSProfile) Delete(context.Context, *Observation) error {
	return withFileLock(p.path, p.deleteLocked)
}

func (p *AWSProfile) deleteLocked() error {
	f, err := readINI(p.path)
	if err != nil {
		return err
	}
	if sectionOwner(f, p.section()) != p.stack || !f.RemoveSection(p.section()) {
		return nil
	}
	return writeINI(p.path, f)
}

// DestroyDescription implements destroyDescriber.
func (p *AWSProfile) DestroyDescription(*Observation) string {
	return fmt.Sprintf("removes section [%s] from %s; the rest of the file stays byte for byte", p.section(), p.path)
}
