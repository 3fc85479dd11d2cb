// Package cfnexport writes a stack's AWS objects as one CloudFormation
// template, for CloudFormation StackSets to roll out to many accounts
// (awsboot export). It walks the same kinds plan walks, with the same
// configuration, and builds the template with goformation's typed
// resources (github.com/awslabs/goformation/v7), which carry AWS's
// resource schema. Values that differ per account become pseudo
// parameters (AWS::AccountId, AWS::Partition, AWS::StackName); the
// bucket's name gets the account ID as a suffix, since S3 bucket names
// are global.
//
// A template cannot hold a secret, nor a file on the machine that runs
// awsboot: the access keys and every local file are left out and listed
// (Result.LeftOut).
package cfnexport

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/s3"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
	"gopkg.in/yaml.v3"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/spec"
)

// ErrCannotExport is matched (errors.Is) by every error that says a spec
// cannot be written as a CloudFormation template.
var ErrCannotExport = errors.New("cannot be exported to CloudFormation")

// The template's parameters and their limits.
const (
	// ParamBucketName is the parameter the bucket's name starts with; the
	// bucket is named "<BucketName>-<AWS::AccountId>".
	ParamBucketName = "BucketName"
	// bucketSuffixLen is the length of "-" and a 12-digit account ID.
	bucketSuffixLen = 13
	// maxBucketName is S3's limit on a bucket name's length, in
	// characters (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
	maxBucketName = 63
	// maxLogicalID is the longest logical ID the exporter makes, in
	// characters: CloudFormation allows 255 for logical IDs and parameter
	// names, and a provider's parameter adds "Create" (6) and a
	// uniqueness digit may follow.
	maxLogicalID = 240
	// maxTags is S3's limit on a bucket's tags
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-managing.html).
	maxTags = 50
	// maxDescription is CloudFormation's limit on a template's
	// Description, in bytes
	// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-description-structure.html).
	maxDescription = 1024
)

// BucketNameSub is the bucket's name in Fn::Sub syntax.
const BucketNameSub = "${" + ParamBucketName + "}-${AWS::AccountId}"

// LeftOut is a part of the stack the template does not hold, and why.
type LeftOut struct {
	// What names it: a resource address or an output.
	What string
	// Why it cannot be in a template, in plain words.
	Why string
}

// Result is an exported stack.
type Result struct {
	Template *cloudformation.Template
	// LeftOut lists, in the graph's order, what the template does not
	// hold: access keys, local files, outputs that name local files.
	LeftOut []LeftOut
	// Notes are what the user must know to use the template (how access
	// keys are made); the CLI prints them on stderr.
	Notes []string
}

// keyNote is said, in the template's description and on stderr, when the
// stack has user access.
const keyNote = "Access keys are not in this template (a StackSet cannot deliver a secret to a machine): " +
	"make each machine's key with `awsboot bootstrap` (or `awsboot rotate`) against its account. " +
	"For fleets, prefer role access (OIDC): no key at all."

// placeholders are the account IDs Offline may build a stack for: the
// first one the spec does not hold.
var placeholders = []string{"000000000000", "999999999999", "111111111111", "888888888888", "222222222222"}

// Offline builds the stack of s, as provision.Offline does, for a
// placeholder account ID that appears nowhere in the spec's file (read
// again from s.File), so that every ARN of the account, and only those,
// can turn back into AWS::AccountId. It makes no network call.
func Offline(s *spec.Spec, o provision.BuildOptions) (*provision.Stack, error) {
	text, err := os.ReadFile(s.File)
	if err != nil {
		return nil, err
	}
	for _, id := range placeholders {
		if !bytes.Contains(text, []byte(id)) {
			acct := awsapi.Offline(s.Region, s.Endpoint, s.IAMEndpoint, s.PathStyle)
			acct.ID = id
			return provision.Build(s, acct, o)
		}
	}
	return nil, fmt.Errorf("%w: %s holds every placeholder account ID awsboot could build the template with (%s)", ErrCannotExport, s.File, strings.Join(placeholders, ", "))
}

// Export builds the template of st, a stack built by Offline (for a
// placeholder account ID the spec does not hold, which every ARN of the
// account turns back into AWS::AccountId). It makes no network call.
// Errors match ErrCannotExport when the spec cannot be a template: an
// S3-compatible endpoint (CloudFormation deploys to AWS), a bucket name
// too long for the account suffix, too many tags, a value the template
// could not make account-independent.
func Export(st *provision.Stack, files consumers.AWSFiles) (*Result, error) {
	s, acct := st.Spec, st.Account
	if acct.Custom() {
		return nil, fmt.Errorf("%w: the spec's endpoint %s is an S3-compatible service, and CloudFormation deploys only to AWS itself", ErrCannotExport, firstOf(s.Endpoint, s.IAMEndpoint))
	}
	if n := len(s.Bucket.BaseName()); n > maxBucketName-bucketSuffixLen {
		return nil, fmt.Errorf("%w: bucket.name %q has %d characters; with the account ID the template appends (\"-123456789012\") it would pass S3's limit of %d, so it may have at most %d",
			ErrCannotExport, s.Bucket.BaseName(), n, maxBucketName, maxBucketName-bucketSuffixLen)
	}
	// S3 allows 50 tags on a bucket (PutBucketTagging); the template adds
	// two to the spec's (whose validation counts awsboot:stack).
	if n := len(s.Bucket.Tags) + 2; n > maxTags {
		return nil, fmt.Errorf("%w: bucket.tags has %d tags; with awsboot:stack and %s the bucket would have %d, above S3's limit of %d", ErrCannotExport, len(s.Bucket.Tags), engine.CloudFormationStackTag, n, maxTags)
	}
	for k, v := range s.Bucket.Tags {
		if v == "" {
			// goformation's Tag drops an empty Value (omitempty), and
			// CloudFormation requires one.
			return nil, fmt.Errorf("%w: bucket.tags.%s is empty: goformation writes no Value for it, which CloudFormation requires; give it a value", ErrCannotExport, k)
		}
	}
	x := &exporter{
		st: st, acct: acct, t: cloudformation.NewTemplate(), ids: map[string]string{},
		principals: map[string]string{}, providers: map[string]string{},
	}
	x.t.Parameters[ParamBucketName] = cloudformation.Parameter{
		Type:        "String",
		Description: cloudformation.String("The bucket's name before \"-<account ID>\" (the spec's bucket.name); S3 bucket names are global, so each account's bucket gets its ID."),
		Default:     s.Bucket.BaseName(),
		// The length bound is in the pattern: the schema goformation
		// carries types MinLength and MaxLength as strings, CloudFormation's
		// documentation as integers.
		AllowedPattern:        cloudformation.String(fmt.Sprintf(`^[a-z0-9][a-z0-9.-]{0,%d}$`, maxBucketName-bucketSuffixLen-1)),
		ConstraintDescription: cloudformation.String(fmt.Sprintf("lower-case letters, digits, dots and hyphens, at most %d characters", maxBucketName-bucketSuffixLen)),
	}
	if err := x.run(files); err != nil {
		return nil, err
	}
	return x.res(), nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

type exporter struct {
	st   *provision.Stack
	acct awsapi.Account
	t    *cloudformation.Template
	// ids are the logical IDs taken, by the name they were made from.
	ids map[string]string
	// principals are the logical IDs of users and roles by
	// "user/<name>" or "role/<name>".
	principals map[string]string
	// providers are the Federated principal each provider ARN becomes:
	// Fn::If on the provider's condition.
	providers map[string]string
	leftOut   []LeftOut
	notes     []string
	userKeys  bool
	// bucketID is the bucket's logical ID.
	bucketID string
	errs     []error
}

func (x *exporter) res() *Result {
	return &Result{Template: x.t, LeftOut: x.leftOut, Notes: x.notes}
}

// run adds every kind in listing order. Providers, users and roles go
// first so that attachments and trust policies can refer to them.
func (x *exporter) run(files consumers.AWSFiles) error {
	kinds := x.st.Kinds()
	exported := map[engine.Address]bool{}
	for _, k := range kinds {
		switch k := k.(type) {
		case *awskinds.OIDCProvider:
			x.provider(k)
		case *awskinds.IAMUser:
			x.user(k)
		case *awskinds.IAMRole:
			x.role(k)
		}
	}
	for _, k := range kinds {
		switch k := k.(type) {
		case *awskinds.S3Bucket:
			x.bucket(k, kinds)
		case *awskinds.S3BucketPolicy:
			x.bucketPolicy(k)
		case *awskinds.IAMPolicy:
			x.managedPolicy(k, kinds)
		case *awskinds.IAMInlinePolicy:
			x.inlinePolicy(k)
		case *awskinds.OIDCProvider, *awskinds.IAMUser, *awskinds.IAMRole:
			// Added above.
		case *awskinds.S3BucketReplication, *awskinds.IAMPolicyAttachment:
			// Properties of the bucket and of the managed policy.
		case *awskinds.IAMAccessKey:
			x.userKeys = true
			continue
		default:
			continue
		}
		exported[k.(interface{ Addr() engine.Address }).Addr()] = true
	}
	for _, r := range x.st.Graph.Resources() {
		if exported[r.Addr()] {
			continue
		}
		x.leftOut = append(x.leftOut, LeftOut{What: string(r.Addr()), Why: whyLeftOut(r)})
	}
	x.outputs(files)
	x.description()
	return errors.Join(x.errs...)
}

// whyLeftOut says why a resource is not in the template.
func whyLeftOut(r engine.Resource) string {
	addr := string(r.Addr())
	switch {
	case strings.HasPrefix(addr, "iam_access_key."):
		return "an access key is a secret: a StackSet cannot deliver it to a machine; make it there with `awsboot bootstrap` (or `rotate`) against the account"
	case strings.HasPrefix(addr, "iam_access_key_retirement."):
		return "key rotation happens where the key is used: `awsboot rotate` against the account"
	default:
		return "a file on the machine that runs awsboot: CloudFormation deploys AWS objects only; run `awsboot bootstrap` there to write it"
	}
}

// id makes a logical ID (letters and digits, CloudFormation's rule,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html)
// from a prefix and a name, unique in the template: "Role" and
// "semaphore-ci" give "RoleSemaphoreCi".
func (x *exporter) id(prefix, name string) string {
	base := prefix + camel(name)
	if len(base) > maxLogicalID {
		// Logical IDs and parameter names have at most 255 characters;
		// a provider's parameter is "Create" and its ID.
		sum := sha256.Sum256([]byte(name))
		base = base[:maxLogicalID-16] + hex.EncodeToString(sum[:8])
	}
	id := base
	for n := 2; ; n++ {
		if from, taken := x.ids[id]; !taken || from == prefix+"/"+name {
			break
		}
		id = fmt.Sprintf("%s%d", base, n)
	}
	x.ids[id] = prefix + "/" + name
	return id
}

// camel turns a name into CamelCase letters and digits: every run of
// other characters starts a new word.
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stackTags are the tags every taggable object gets: the spec's stack
// (engine.StackTag) and the CloudFormation stack that manages it
// (engine.CloudFormationStackTag), which teardown respects.
func stackTags(stack string, extra map[string]string) []tags.Tag {
	all := maps.Clone(extra)
	if all == nil {
		all = map[string]string{}
	}
	all[engine.StackTag] = stack
	var out []tags.Tag
	for _, k := range slices.Sorted(maps.Keys(all)) {
		out = append(out, tags.Tag{Key: k, Value: all[k]})
	}
	return append(out, tags.Tag{Key: engine.CloudFormationStackTag, Value: fn("Ref", "AWS::StackName")})
}

func (x *exporter) provider(p *awskinds.OIDCProvider) {
	cfg := p.Config()
	id := x.id("OIDCProvider", cfg.Host)
	param, cond := "Create"+id, "Create"+id
	x.t.Parameters[param] = cloudformation.Parameter{
		Type:          "String",
		Description:   cloudformation.String(fmt.Sprintf("\"true\" creates the account's OIDC provider for %s; \"false\" when the account already has it (IAM keeps one provider per issuer)", cfg.Issuer)),
		Default:       "true",
		AllowedValues: []any{"true", "false"},
	}
	x.t.Conditions[cond] = fn("Fn::Equals", []any{fn("Ref", param), "true"})
	thumbprints := cfg.Thumbprints
	if thumbprints == nil {
		// The schema goformation carries requires the property; an empty
		// list, like awsboot's CreateOpenIDConnectProvider without one,
		// lets IAM secure the connection with its trusted root CAs.
		thumbprints = []string{}
	}
	x.t.Resources[id] = &iam.OIDCProvider{
		Url:            cloudformation.String(cfg.Issuer),
		ClientIdList:   slices.Clone(cfg.Audiences),
		ThumbprintList: thumbprints,
		Tags:           stackTags(cfg.Stack, nil),

		AWSCloudFormationCondition: cond,
	}
	x.providers[cfg.ARN] = fn("Fn::If", []any{cond, fn("Ref", id), x.subst(cfg.ARN)})
}

func (x *exporter) user(u *awskinds.IAMUser) {
	cfg := u.Config()
	id := x.id("User", cfg.Name)
	x.principals["user/"+cfg.Name] = id
	x.t.Resources[id] = &iam.User{UserName: cloudformation.String(cfg.Name), Tags: stackTags(cfg.Stack, nil)}
}

func (x *exporter) role(r *awskinds.IAMRole) {
	cfg := r.Config()
	id := x.id("Role", cfg.Name)
	x.principals["role/"+cfg.Name] = id
	x.t.Resources[id] = &iam.Role{
		RoleName:                 cloudformation.String(cfg.Name),
		AssumeRolePolicyDocument: x.document(cfg.Trust),
		MaxSessionDuration:       cloudformation.Int(int(cfg.MaxSession)),
		Description:              cloudformation.String(r.Description()),
		Tags:                     stackTags(cfg.Stack, nil),
	}
}

func (x *exporter) bucket(b *awskinds.S3Bucket, kinds []awskinds.Connector) {
	cfg := b.Config()
	x.bucketID = "Bucket"
	x.ids[x.bucketID] = "Bucket/" + cfg.Name
	desired := b.DesiredTags()
	delete(desired, engine.StackTag)
	res := &s3.Bucket{
		BucketName: cloudformation.String(fn("Fn::Sub", BucketNameSub)),
		PublicAccessBlockConfiguration: &s3.Bucket_PublicAccessBlockConfiguration{
			BlockPublicAcls: cloudformation.Bool(true), IgnorePublicAcls: cloudformation.Bool(true),
			BlockPublicPolicy: cloudformation.Bool(true), RestrictPublicBuckets: cloudformation.Bool(true),
		},
		// awsboot's default encryption: SSE-S3.
		BucketEncryption: &s3.Bucket_BucketEncryption{ServerSideEncryptionConfiguration: []s3.Bucket_ServerSideEncryptionRule{{
			ServerSideEncryptionByDefault: &s3.Bucket_ServerSideEncryptionByDefault{SSEAlgorithm: "AES256"},
		}}},
		Tags: stackTags(cfg.Stack, desired),
	}
	if cfg.ObjectOwnership != "" {
		res.OwnershipControls = &s3.Bucket_OwnershipControls{Rules: []s3.Bucket_OwnershipControlsRule{{ObjectOwnership: cloudformation.String(cfg.ObjectOwnership)}}}
	}
	if cfg.Versioning != nil {
		res.VersioningConfiguration = &s3.Bucket_VersioningConfiguration{Status: b.WantVersioning()}
	}
	if len(cfg.Rules) > 0 {
		lc := &s3.Bucket_LifecycleConfiguration{}
		for _, r := range cfg.Rules {
			rule := s3.Bucket_Rule{Id: cloudformation.String(r.ID), Status: "Enabled", Prefix: cloudformation.String(r.Prefix)}
			if r.ExpireDays > 0 {
				rule.ExpirationInDays = cloudformation.Int(int(r.ExpireDays))
			}
			if r.NoncurrentDays > 0 {
				rule.NoncurrentVersionExpiration = &s3.Bucket_NoncurrentVersionExpiration{NoncurrentDays: int(r.NoncurrentDays)}
			}
			if r.AbortDays > 0 {
				rule.AbortIncompleteMultipartUpload = &s3.Bucket_AbortIncompleteMultipartUpload{DaysAfterInitiation: int(r.AbortDays)}
			}
			lc.Rules = append(lc.Rules, rule)
		}
		res.LifecycleConfiguration = lc
	}
	for _, k := range kinds {
		rep, ok := k.(*awskinds.S3BucketReplication)
		if !ok {
			continue
		}
		rc := rep.Config()
		dest := &s3.Bucket_ReplicationDestination{Bucket: x.subst(rc.Destination)}
		if rc.DestinationAccount != "" {
			dest.Account = cloudformation.String(rc.DestinationAccount)
		}
		if rc.OwnerOverride {
			dest.AccessControlTranslation = &s3.Bucket_AccessControlTranslation{Owner: "Destination"}
		}
		role := x.subst(rc.RoleARN)
		if id, ok := x.principals["role/"+roleName(rc.RoleARN)]; ok {
			role = fn("Fn::GetAtt", []any{id, "Arn"})
		}
		res.ReplicationConfiguration = &s3.Bucket_ReplicationConfiguration{Role: role, Rules: []s3.Bucket_ReplicationRule{{
			Id: cloudformation.String(rep.RuleID()), Status: "Enabled", Priority: cloudformation.Int(1),
			Filter:                  &s3.Bucket_ReplicationRuleFilter{Prefix: cloudformation.String("")},
			DeleteMarkerReplication: &s3.Bucket_DeleteMarkerReplication{Status: cloudformation.String("Disabled")},
			Destination:             dest,
		}}}
	}
	x.t.Resources[x.bucketID] = res
}

// roleName is the role name of a role ARN ("" for another ARN).
func roleName(arn string) string {
	_, name, ok := strings.Cut(arn, ":role/")
	if !ok {
		return ""
	}
	return name[strings.LastIndex(name, "/")+1:]
}

func (x *exporter) bucketPolicy(p *awskinds.S3BucketPolicy) {
	cfg := p.Config()
	if len(cfg.Document.Statement) == 0 {
		return // no policy wanted: awsboot deletes one it made, and makes none
	}
	x.t.Resources["BucketPolicy"] = &s3.BucketPolicy{Bucket: fn("Ref", x.bucketID), PolicyDocument: x.document(cfg.Document)}
}

// attached lists the logical IDs of the users and roles a managed policy
// is attached to.
func (x *exporter) attached(policy *awskinds.IAMPolicy, kinds []awskinds.Connector) (users, roles []string) {
	for _, k := range kinds {
		at, ok := k.(*awskinds.IAMPolicyAttachment)
		if !ok {
			continue
		}
		cfg := at.Config()
		if cfg.Policy != policy {
			continue
		}
		id := x.principals[string(cfg.Kind)+"/"+cfg.Principal]
		if id == "" {
			x.errs = append(x.errs, fmt.Errorf("cfnexport: %s %q of an attachment is not in the stack", cfg.Kind, cfg.Principal))
			continue
		}
		if cfg.Kind == awskinds.Role {
			roles = append(roles, fn("Ref", id))
		} else {
			users = append(users, fn("Ref", id))
		}
	}
	return users, roles
}

func (x *exporter) managedPolicy(p *awskinds.IAMPolicy, kinds []awskinds.Connector) {
	cfg := p.Config()
	id := x.id("Policy", cfg.Name)
	users, roles := x.attached(p, kinds)
	desc := strings.ReplaceAll(escapeSub(cfg.Description), "S3 bucket "+escapeSub(x.st.Spec.Bucket.Name), "S3 bucket "+BucketNameSub)
	x.t.Resources[id] = &iam.ManagedPolicy{
		ManagedPolicyName: cloudformation.String(cfg.Name),
		// AWS::IAM::ManagedPolicy takes no Tags: the description carries
		// the stack (awskinds.ParseCloudFormationPolicyDescription).
		Description:    cloudformation.String(fn("Fn::Sub", awskinds.CloudFormationPolicyDescription(escapeSub(cfg.Stack), "${AWS::StackName}", desc))),
		PolicyDocument: x.document(cfg.Document),
		Users:          users,
		Roles:          roles,
	}
}

func (x *exporter) inlinePolicy(p *awskinds.IAMInlinePolicy) {
	cfg := p.Config()
	pid := x.principals[string(cfg.Kind)+"/"+cfg.Principal]
	if pid == "" {
		x.errs = append(x.errs, fmt.Errorf("cfnexport: %s %q of inline policy %q is not in the stack", cfg.Kind, cfg.Principal, cfg.Name))
		return
	}
	res := &iam.Policy{PolicyName: cfg.Name, PolicyDocument: x.document(cfg.Document)}
	if cfg.Kind == awskinds.Role {
		res.Roles = []string{fn("Ref", pid)}
	} else {
		res.Users = []string{fn("Ref", pid)}
	}
	x.t.Resources[x.id("InlinePolicy", cfg.Principal+"-"+cfg.Name)] = res
}

// document is a policy document as template data: awsboot's exact
// document, every ARN of the account made account-independent.
func (x *exporter) document(d policies.Document) any {
	var v any
	if err := json.Unmarshal([]byte(d.JSON()), &v); err != nil {
		x.errs = append(x.errs, fmt.Errorf("cfnexport: %w", err))
		return nil
	}
	return x.walk(v)
}

func (x *exporter) walk(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = x.walk(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = x.walk(e)
		}
		return out
	case string:
		if f, ok := x.providers[v]; ok {
			return f
		}
		return x.subst(v)
	}
	return v
}

// subst makes one string account-independent: in an ARN
// (arn:partition:service:region:account:resource) the partition becomes
// ${AWS::Partition}, the stack's account ${AWS::AccountId}, and the
// stack's bucket BucketNameSub, all in one Fn::Sub. A string with
// nothing to replace is returned as it is. Any other use of the unknown
// account's ID is an error: the template would hold a wrong ARN.
func (x *exporter) subst(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		if strings.Contains(s, x.acct.ID) {
			x.errs = append(x.errs, fmt.Errorf("%w: the value %q holds the account's ID outside an ARN", ErrCannotExport, s))
		}
		return s
	}
	changed := false
	for i, p := range parts {
		parts[i] = escapeSub(p)
		changed = changed || parts[i] != p
	}
	if parts[1] == x.acct.Partition {
		parts[1], changed = "${AWS::Partition}", true
	}
	if parts[4] == x.acct.ID {
		parts[4], changed = "${AWS::AccountId}", true
	}
	if parts[2] == "s3" && parts[3] == "" && parts[4] == "" {
		if bucket, _, _ := strings.Cut(parts[5], "/"); bucket == escapeSub(x.st.Spec.Bucket.Name) {
			parts[5], changed = BucketNameSub+strings.TrimPrefix(parts[5], bucket), true
		}
	}
	if strings.Contains(parts[5], x.acct.ID) {
		x.errs = append(x.errs, fmt.Errorf("%w: the ARN %q holds the account's ID in its resource part", ErrCannotExport, s))
	}
	if !changed {
		return s
	}
	return fn("Fn::Sub", strings.Join(parts, ":"))
}

// fn is an intrinsic function in goformation's encoding: the base64 of
// its JSON object, which Template.JSON turns back into the object (and
// never evaluates; a plain map with an Fn:: key it would evaluate with
// its own sample values). encoding/json quotes the arguments, so any
// string is safe in them.
func fn(name string, arg any) string {
	b, err := json.Marshal(map[string]any{name: arg})
	if err != nil {
		panic(fmt.Sprintf("cfnexport: %s: %v", name, err)) // only strings and lists of them are passed
	}
	return base64.StdEncoding.EncodeToString(b)
}

// escapeSub escapes "${" as Fn::Sub's literal "${!"
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html).
func escapeSub(s string) string { return strings.ReplaceAll(s, "${", "${!") }

// awsOutput matches the outputs that name AWS objects; the others (the
// profile, the files) are local.
var awsOutput = regexp.MustCompile(`^(stack|account_id|region|bucket|bucket_arn|replication_role|replication_role_arn|.+_(user|user_arn|role|role_arn|oidc_provider_arn))$`)

// outputs are awsboot output's values that name AWS objects, with the
// template's expressions.
func (x *exporter) outputs(files consumers.AWSFiles) {
	outs, err := provision.Outputs(x.st.Spec, x.acct, files)
	if err != nil {
		x.errs = append(x.errs, err)
		return
	}
	names := map[string]string{}
	for _, o := range outs {
		if o.Name == "endpoint" {
			continue // "" on AWS itself, the only place a template deploys to
		}
		if !awsOutput.MatchString(o.Name) {
			x.leftOut = append(x.leftOut, LeftOut{What: "output " + o.Name, Why: "names something on the machine that runs awsboot, not in AWS"})
			continue
		}
		id := camel(o.Name)
		if prev, ok := names[id]; ok {
			x.errs = append(x.errs, fmt.Errorf("%w: outputs %q and %q both become %q", ErrCannotExport, prev, o.Name, id))
			continue
		}
		names[id] = o.Name
		x.t.Outputs[id] = cloudformation.Output{Value: x.outputValue(o), Description: cloudformation.String("awsboot output " + o.Name)}
	}
}

func (x *exporter) outputValue(o provision.Output) string {
	principal := func(kind string) (string, bool) {
		id, ok := x.principals[kind+"/"+o.Value]
		return id, ok
	}
	switch {
	case o.Name == "account_id":
		return fn("Ref", "AWS::AccountId")
	case o.Name == "region":
		return fn("Ref", "AWS::Region")
	case o.Name == "bucket":
		return fn("Ref", x.bucketID)
	case o.Name == "bucket_arn":
		return fn("Fn::GetAtt", []any{x.bucketID, "Arn"})
	case strings.HasSuffix(o.Name, "_user"):
		if id, ok := principal("user"); ok {
			return fn("Ref", id)
		}
	case strings.HasSuffix(o.Name, "role"):
		if id, ok := principal("role"); ok {
			return fn("Ref", id)
		}
	case strings.HasSuffix(o.Name, "_user_arn"):
		if id, ok := x.principals["user/"+o.Value[strings.LastIndex(o.Value, "/")+1:]]; ok {
			return fn("Fn::GetAtt", []any{id, "Arn"})
		}
	case strings.HasSuffix(o.Name, "role_arn"):
		if id, ok := x.principals["role/"+roleName(o.Value)]; ok {
			return fn("Fn::GetAtt", []any{id, "Arn"})
		}
	case strings.HasSuffix(o.Name, "_oidc_provider_arn"):
		if f, ok := x.providers[o.Value]; ok {
			return f
		}
	}
	return x.subst(o.Value)
}

// description is the template's Description: what it holds, and the
// note on keys when the stack has user access.
func (x *exporter) description() {
	s := x.st.Spec
	d := fmt.Sprintf("awsboot stack %q: S3 bucket %s-<account ID> and its access, exported by awsboot export for CloudFormation StackSets.", s.Stack, s.Bucket.BaseName())
	if s.Bucket.NameSuffix == "" {
		x.notes = append(x.notes, fmt.Sprintf("the template names the bucket %s-<account ID> (S3 names are global); add name_suffix: %s under bucket in %s so that awsboot plans each account with that name",
			s.Bucket.BaseName(), spec.NameSuffixAccountID, s.File))
	}
	if x.userKeys {
		d += " " + keyNote
		x.notes = append(x.notes, keyNote)
	}
	if len(d) > maxDescription {
		d = d[:maxDescription]
	}
	x.t.Description = d
}

// JSON is the template as JSON (goformation's Template.JSON: two-space
// indent, intrinsic functions as objects), newline-terminated.
func (r *Result) JSON() ([]byte, error) {
	j, err := r.Template.JSON()
	if err != nil {
		return nil, err
	}
	return append(j, '\n'), nil
}

// YAML is the template as YAML, with the JSON's keys in the JSON's
// order (sorted: goformation's JSON passes through a map), every mapping
// and list in block style, two-space indents. A string that
// a YAML 1.1 reader (CloudFormation's, cfn-lint's PyYAML) would not read
// as that string is quoted: yaml.v3 writes YAML 1.2, where "=" is a
// plain string, while YAML 1.1 reads it as the value type.
func (r *Result) YAML() ([]byte, error) {
	j, err := r.Template.JSON()
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		n.Style = 0
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && !yaml11PlainString(n.Value) {
			n.Style = yaml.DoubleQuotedStyle
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// yaml11Words are the plain scalars YAML 1.1 reads as booleans or null
// (https://yaml.org/type/bool.html, https://yaml.org/type/null.html),
// compared in lower case.
var yaml11Words = map[string]bool{
	"y": true, "yes": true, "n": true, "no": true, "true": true, "false": true,
	"on": true, "off": true, "null": true, "~": true, "": true,
}

// yaml11PlainString is whether a YAML 1.1 reader (CloudFormation's,
// cfn-lint's PyYAML) reads s, written plain, as the string s. It is
// conservative: a word of yaml11Words in any case, and anything that
// starts like a number, a timestamp, .inf/.nan, the value type "=" or
// the merge key "<<" (a digit or one of . + - ~ = <), is quoted. yaml.v3
// writes YAML 1.2, where most of these are plain strings.
func yaml11PlainString(s string) bool {
	if yaml11Words[strings.ToLower(s)] {
		return false
	}
	return !strings.ContainsAny(s[:1], "0123456789.+-~=<")
}
