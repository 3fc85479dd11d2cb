// These tests use the kinds' tiny fakes (see the other *_test.go files
// of this package), not a stand-in for AWS: how the objects of a
// CloudFormation stack are recognised. TestCloudFormationOwnership in
// provision covers the same against moto.

package awskinds

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/engine"
)

const (
	cfnTestStack   = "StackSet-ci-cache-4f2a9c1e-0b6d-4e8f-9a3b-1c2d3e4f5a6b"
	cfnTestManaged = `CloudFormation stack "` + cfnTestStack + `"`
)

func TestCloudFormationPolicyDescriptionRoundTrip(t *testing.T) {
	for _, tc := range []struct{ stack, cfn, description string }{
		{"demo", cfnTestStack, "awsboot demo: cache grant"},
		{"semaphore-cache", "ci", ""},
		{"a.b_c-9", "Z", "a description with ; separators; awsboot:stack=other; awsboot:cloudformation-stack=Other; in it"},
		{"x", "A-1", "awsboot:stack=x"},
	} {
		d := CloudFormationPolicyDescription(tc.stack, tc.cfn, tc.description)
		if want := "awsboot:stack=" + tc.stack + "; awsboot:cloudformation-stack=" + tc.cfn + "; " + tc.description; d != want {
			t.Errorf("CloudFormationPolicyDescription(%q, %q, %q) = %q, want %q", tc.stack, tc.cfn, tc.description, d, want)
		}
		for _, variant := range []string{d, strings.TrimSpace(d), strings.TrimSuffix(strings.TrimSpace(d), ";")} {
			if tc.description != "" && variant != d {
				continue
			}
			stack, cfn, ok := ParseCloudFormationPolicyDescription(variant)
			if !ok || stack != tc.stack || cfn != tc.cfn {
				t.Errorf("ParseCloudFormationPolicyDescription(%q) = %q, %q, %v; want %q, %q, true", variant, stack, cfn, ok, tc.stack, tc.cfn)
			}
		}
	}
}

// TestCloudFormationPolicyDescriptionNotAMark: only a description that
// starts with the mark, with valid names, is one.
func TestCloudFormationPolicyDescriptionNotAMark(t *testing.T) {
	for name, d := range map[string]string{
		"awsboot's own":                      "awsboot demo: the cache grant",
		"empty":                              "",
		"mentions the words":                 "Made by awsboot:stack=demo; awsboot:cloudformation-stack=ci; by hand",
		"leading space":                      " awsboot:stack=demo; awsboot:cloudformation-stack=ci; x",
		"no CloudFormation stack part":       "awsboot:stack=demo; cache grant",
		"empty stack":                        "awsboot:stack=; awsboot:cloudformation-stack=ci; x",
		"empty CloudFormation stack":         "awsboot:stack=demo; awsboot:cloudformation-stack=; x",
		"stack with a space":                 "awsboot:stack=de mo; awsboot:cloudformation-stack=ci; x",
		"CloudFormation stack with a dot":    "awsboot:stack=demo; awsboot:cloudformation-stack=c.i; x",
		"CloudFormation stack from a digit":  "awsboot:stack=demo; awsboot:cloudformation-stack=1ci; x",
		"CloudFormation stack runs on":       "awsboot:stack=demo; awsboot:cloudformation-stack=ci;x",
		"other case":                         "AWSBOOT:stack=demo; awsboot:cloudformation-stack=ci; x",
		"CloudFormation stack 129 long":      "awsboot:stack=demo; awsboot:cloudformation-stack=c" + strings.Repeat("i", 128) + "; x",
		"stack 64 long":                      "awsboot:stack=" + strings.Repeat("d", 64) + "; awsboot:cloudformation-stack=ci; x",
		"parts swapped":                      "awsboot:cloudformation-stack=ci; awsboot:stack=demo; x",
		"stack tag key only, no description": "awsboot:stack",
	} {
		if stack, cfn, ok := ParseCloudFormationPolicyDescription(d); ok || stack != "" || cfn != "" {
			t.Errorf("%s: ParseCloudFormationPolicyDescription(%q) = %q, %q, %v; want no mark", name, d, stack, cfn, ok)
		}
	}
}

func TestCloudFormationStackFromTags(t *testing.T) {
	for name, tc := range map[string]struct {
		tags map[string]string
		want string
	}{
		"none":                {tags: map[string]string{engine.StackTag: "demo"}},
		"awsboot's tag":       {tags: map[string]string{engine.CloudFormationStackTag: "ci"}, want: "ci"},
		"CloudFormation's":    {tags: map[string]string{engine.AWSCloudFormationStackNameTag: "ci"}, want: "ci"},
		"both: awsboot's":     {tags: map[string]string{engine.CloudFormationStackTag: "ci", engine.AWSCloudFormationStackNameTag: "other"}, want: "ci"},
		"another aws: tag":    {tags: map[string]string{"aws:cloudformation:stack-id": "arn:aws:cloudformation:..."}},
		"empty awsboot value": {tags: map[string]string{engine.CloudFormationStackTag: "", engine.AWSCloudFormationStackNameTag: "ci"}, want: "ci"},
	} {
		if got := cloudFormationStack(tc.tags); got != tc.want {
			t.Errorf("%s: cloudFormationStack = %q, want %q", name, got, tc.want)
		}
	}
}

// cfnTags are the tags the template gives an object of awsboot stack.
func cfnTags(stack string) map[string]string {
	return map[string]string{engine.StackTag: stack, engine.CloudFormationStackTag: cfnTestStack}
}

// s3Tags turns a map into an S3 tag set.
func s3Tags(m map[string]string) []s3types.Tag {
	var out []s3types.Tag
	for _, t := range iamTags(m) {
		out = append(out, s3types.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// taggedBucketPolicyAPI is fakeS3BucketPolicy with the bucket's whole
// tag set.
type taggedBucketPolicyAPI struct {
	*fakeS3BucketPolicy
	tags map[string]string
}

func (f *taggedBucketPolicyAPI) GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	f.calls = append(f.calls, "GetBucketTagging")
	return &s3.GetBucketTaggingOutput{TagSet: s3Tags(f.tags)}, nil
}

// taggedReplicationAPI is fakeS3Replication with the bucket's whole tag
// set.
type taggedReplicationAPI struct {
	*fakeS3Replication
	tags map[string]string
}

func (f *taggedReplicationAPI) GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	f.calls = append(f.calls, "GetBucketTagging")
	return &s3.GetBucketTaggingOutput{TagSet: s3Tags(f.tags)}, nil
}

// describedPolicyAPI is fakePolicyAPI whose GetPolicy also answers a
// description; it counts the tag listings.
type describedPolicyAPI struct {
	*fakePolicyAPI
	description string
	listed      int
}

func (f *describedPolicyAPI) ListPolicyTags(ctx context.Context, in *iam.ListPolicyTagsInput, o ...func(*iam.Options)) (*iam.ListPolicyTagsOutput, error) {
	callLogMu.Lock()
	f.listed++
	callLogMu.Unlock()
	return f.fakePolicyAPI.ListPolicyTags(ctx, in, o...)
}

func (f *describedPolicyAPI) GetPolicy(ctx context.Context, in *iam.GetPolicyInput, o ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	out, err := f.fakePolicyAPI.GetPolicy(ctx, in, o...)
	if err == nil {
		out.Policy.Description = aws.String(f.description)
	}
	return out, err
}

// TestCloudFormationManagedByRead: each kind reads ManagedBy from its own
// tags or description, or from its parent's tags, and ownership stays
// what it was.
func TestCloudFormationManagedByRead(t *testing.T) {
	trust := url.QueryEscape(roleTrust().JSON())
	awsTagged := map[string]string{engine.StackTag: "demo", engine.AWSCloudFormationStackNameTag: cfnTestStack}
	policyDoc := url.QueryEscape(iamGrantDoc().JSON())
	marked := CloudFormationPolicyDescription("demo", cfnTestStack, "the cache grant")
	rule := &s3types.ReplicationConfiguration{Role: aws.String(testReplicationRole), Rules: []s3types.ReplicationRule{awsbootReplicationRule()}}
	bucketPolicy := testBucketPolicyConfig().Document.JSON()
	tests := map[string]struct {
		read          func() (*engine.Observation, error)
		owner, manage string
	}{
		"user, template's tag": {read: func() (*engine.Observation, error) {
			u := newTestUser("")
			u.api = &fakeUserAPI{reads: fakeUserReads{arn: userTestARN, tags: cfnTags("demo")}}
			o, _, err := u.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"user, CloudFormation's own tag": {read: func() (*engine.Observation, error) {
			u := newTestUser("")
			u.api = &fakeUserAPI{reads: fakeUserReads{arn: userTestARN, tags: awsTagged}}
			o, _, err := u.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"user, awsboot's alone": {read: func() (*engine.Observation, error) {
			u := newTestUser("")
			u.api = &fakeUserAPI{reads: fakeUserReads{arn: userTestARN, tags: userOwned}}
			o, _, err := u.Read(context.Background())
			return o, err
		}, owner: "demo"},
		"role": {read: func() (*engine.Observation, error) {
			r := newTestRole("")
			r.api = &fakeRoleAPI{reads: fakeRoleReads{trust: trust, maxSession: 3600, tags: cfnTags("demo")}}
			o, _, err := r.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"user's attachment follows the user": {read: func() (*engine.Observation, error) {
			a := newTestAttachment(User)
			a.api = &fakeAttachmentAPI{user: fakeUserReads{arn: userTestARN, tags: cfnTags("demo"), attached: []string{policyTestARN}}}
			o, _, err := a.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"role's attachment follows the role": {read: func() (*engine.Observation, error) {
			a := newTestAttachment(Role)
			a.api = &fakeAttachmentAPI{role: fakeRoleReads{trust: trust, maxSession: 3600, tags: awsTagged, attached: []string{policyTestARN}}}
			o, _, err := a.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"attachment of a plain user": {read: func() (*engine.Observation, error) {
			a := newTestAttachment(User)
			a.api = &fakeAttachmentAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned, attached: []string{policyTestARN}}}
			o, _, err := a.Read(context.Background())
			return o, err
		}, owner: "demo"},
		"user's inline policy follows the user": {read: func() (*engine.Observation, error) {
			p := newTestInline(User, "")
			p.api = &fakeInlineAPI{user: fakeUserReads{arn: userTestARN, tags: cfnTags("demo"), inline: []string{"demo-grant"}}, document: policyDoc}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"role's inline policy follows the role": {read: func() (*engine.Observation, error) {
			p := newTestInline(Role, "")
			p.api = &fakeInlineAPI{role: fakeRoleReads{trust: trust, maxSession: 3600, tags: cfnTags("demo"), inline: []string{"demo-grant"}}, document: policyDoc}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"inline policy of a plain role": {read: func() (*engine.Observation, error) {
			p := newTestInline(Role, "")
			p.api = &fakeInlineAPI{role: fakeRoleReads{trust: trust, maxSession: 3600, tags: roleOwned, inline: []string{"demo-grant"}}, document: policyDoc}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "demo"},
		"bucket": {read: func() (*engine.Observation, error) {
			f := inSyncBucket()
			f.tags = append(f.tags, s3types.Tag{Key: aws.String(engine.AWSCloudFormationStackNameTag), Value: aws.String(cfnTestStack)})
			b := NewS3Bucket(testBucketConfig())
			b.api = f
			o, _, err := b.Read(context.Background())
			return o, err
		}, owner: "dev", manage: cfnTestManaged},
		"bucket policy follows the bucket": {read: func() (*engine.Observation, error) {
			p := NewS3BucketPolicy(testBucketPolicyConfig())
			p.api = &taggedBucketPolicyAPI{fakeS3BucketPolicy: &fakeS3BucketPolicy{policy: bucketPolicy}, tags: cfnTags("dev")}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "dev", manage: cfnTestManaged},
		"bucket policy of a plain bucket": {read: func() (*engine.Observation, error) {
			p := NewS3BucketPolicy(testBucketPolicyConfig())
			p.api = &taggedBucketPolicyAPI{fakeS3BucketPolicy: &fakeS3BucketPolicy{policy: bucketPolicy}, tags: map[string]string{engine.StackTag: "dev"}}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "dev"},
		"replication follows the bucket": {read: func() (*engine.Observation, error) {
			r := NewS3BucketReplication(testReplicationConfig())
			r.api = &taggedReplicationAPI{fakeS3Replication: &fakeS3Replication{cfg: rule}, tags: cfnTags("dev")}
			o, _, err := r.Read(context.Background())
			return o, err
		}, owner: "dev", manage: cfnTestManaged},
		"OIDC provider": {read: func() (*engine.Observation, error) {
			p := newTestOIDC(nil, nil)
			p.api = &fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: cfnTags("demo")}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"policy, description marked": {read: func() (*engine.Observation, error) {
			p := newTestPolicy()
			p.api = &describedPolicyAPI{fakePolicyAPI: &fakePolicyAPI{defaultVersion: "v1", document: policyDoc}, description: marked}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
		"policy, description merely mentions the mark": {read: func() (*engine.Observation, error) {
			p := newTestPolicy()
			p.api = &describedPolicyAPI{fakePolicyAPI: &fakePolicyAPI{defaultVersion: "v1", document: policyDoc}, description: "see " + marked}
			o, _, err := p.Read(context.Background())
			return o, err
		}},
		"policy, marked for another stack": {read: func() (*engine.Observation, error) {
			p := newTestPolicy()
			p.api = &describedPolicyAPI{fakePolicyAPI: &fakePolicyAPI{defaultVersion: "v1", document: policyDoc}, description: CloudFormationPolicyDescription("prod", cfnTestStack, "")}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "prod", manage: cfnTestManaged},
		"policy, tagged and marked: the tag owns": {read: func() (*engine.Observation, error) {
			p := newTestPolicy()
			p.api = &describedPolicyAPI{fakePolicyAPI: &fakePolicyAPI{defaultVersion: "v1", document: policyDoc, tags: map[string]string{engine.StackTag: "demo"}}, description: marked}
			o, _, err := p.Read(context.Background())
			return o, err
		}, owner: "demo", manage: cfnTestManaged},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := tc.read()
			if err != nil {
				t.Fatal(err)
			}
			if !o.Exists || o.Owner != tc.owner || o.ManagedBy != tc.manage {
				t.Errorf("Read() = exists %v, owner %q, managed by %q; want true, %q, %q", o.Exists, o.Owner, o.ManagedBy, tc.owner, tc.manage)
			}
		})
	}
}

// TestIAMPolicyCloudFormationMarkDiff: the missing awsboot:stack tag is no
// change, and no TagPolicy is made, only for a policy whose description
// carries the mark; the document is still compared.
func TestIAMPolicyCloudFormationMarkDiff(t *testing.T) {
	marked := CloudFormationPolicyDescription("demo", cfnTestStack, "the cache grant")
	tagNote := `its description marks it as CloudFormation stack "` + cfnTestStack + `"'s for awsboot stack "demo": ` +
		"CloudFormation cannot tag a managed policy (AWS::IAM::ManagedPolicy has no Tags), so awsboot does not add the awsboot:stack tag either"
	tests := map[string]struct {
		description string
		document    string
		wantDiffs   []engine.FieldDiff
		wantNotes   []string
		wantCalls   []string
		// wantListed is how many ListPolicyTags calls the read makes:
		// none for a marked policy, made by AWS's CloudFormation, whose
		// GetPolicy answers every tag.
		wantListed int
	}{
		"marked, converged": {description: marked, document: iamGrantDoc().JSON(), wantNotes: []string{tagNote}},
		"marked, document changed: the document alone": {
			description: marked, document: iamGrantWidened().JSON(), wantNotes: []string{tagNote},
			wantDiffs: []engine.FieldDiff{{Path: "document", Before: iamGrantWidened().JSON(), After: iamGrantDoc().JSON()}},
			wantCalls: []string{"CreatePolicyVersion " + policyTestARN + " default=true document=true"},
		},
		"not marked: the tag is missing, as before": {
			description: "awsboot demo", document: iamGrantDoc().JSON(),
			wantDiffs:  []engine.FieldDiff{{Path: "tags.awsboot:stack", After: "demo"}},
			wantCalls:  []string{"TagPolicy " + policyTestARN + " awsboot:stack=demo"},
			wantListed: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestPolicy()
			fake := &describedPolicyAPI{fakePolicyAPI: &fakePolicyAPI{defaultVersion: "v1", document: url.QueryEscape(tc.document)}, description: tc.description}
			p.api = fake
			o, st, err := p.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.wantNotes, o.Notes); d != "" {
				t.Errorf("notes (-want +got):\n%s", d)
			}
			if fake.listed != tc.wantListed {
				t.Errorf("ListPolicyTags calls = %d, want %d", fake.listed, tc.wantListed)
			}
			diffs, err := p.Diff(o, st)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.wantDiffs, diffs); d != "" {
				t.Errorf("Diff() (-want +got):\n%s", d)
			}
			if len(diffs) > 0 {
				if err := p.Update(context.Background(), o, st, diffs); err != nil {
					t.Fatal(err)
				}
			}
			if d := cmp.Diff(tc.wantCalls, fake.calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
		})
	}
}

// teardown plans resources in ModeDestroy for stack and applies the plan;
// it returns the plan.
func teardown(t *testing.T, stack string, rs ...engine.Resource) *engine.Plan {
	t.Helper()
	g, err := engine.NewGraph(rs...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.MakePlan(context.Background(), g, engine.ModeDestroy, stack, engine.PlanOptions{Parallelism: 4})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if err := (engine.Executor{Parallelism: 4}).Apply(context.Background(), p); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return p
}

// changes are a plan's changes as "address action: reason".
func changes(p *engine.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, string(c.Addr)+" "+c.Action.String()+": "+c.Reason)
	}
	return out
}

// TestCloudFormationTeardownLeavesIAM: the user, its attachment and the
// marked policy are left in place with the reason, and no call changes
// anything.
func TestCloudFormationTeardownLeavesIAM(t *testing.T) {
	reason := engine.ManagedReason(cfnTestManaged)
	user := newTestUser("")
	userAPI := &fakeUserAPI{reads: fakeUserReads{arn: userTestARN, tags: cfnTags("demo"), attached: []string{policyTestARN}}}
	user.api = userAPI
	att := newTestAttachment(User)
	attAPI := &fakeAttachmentAPI{user: fakeUserReads{arn: userTestARN, tags: cfnTags("demo"), attached: []string{policyTestARN}}}
	att.api = attAPI
	pol := att.cfg.Policy
	polAPI := &describedPolicyAPI{
		fakePolicyAPI: &fakePolicyAPI{defaultVersion: "v1", versions: []iamtypes.PolicyVersion{policyVersion("v1", 0, true)}, entities: &iam.ListEntitiesForPolicyOutput{}},
		description:   CloudFormationPolicyDescription("demo", cfnTestStack, ""),
	}
	pol.api = polAPI
	p := teardown(t, "demo", engine.Typed(pol), engine.Typed(user), engine.Typed(att))
	want := []string{
		"iam_user_policy_attachment.semaphore/demo-cache no-op: " + reason,
		"iam_user.semaphore no-op: " + reason,
		"iam_policy.demo-cache no-op: " + reason,
	}
	if d := cmp.Diff(want, changes(p)); d != "" {
		t.Errorf("teardown plan (-want +got):\n%s", d)
	}
	for _, calls := range [][]string{userAPI.calls, attAPI.calls, polAPI.calls} {
		for _, c := range calls {
			if !strings.HasPrefix(c, "GetUser ") {
				t.Errorf("teardown made a changing call: %s", c)
			}
		}
	}
}

// TestCloudFormationTeardownLeavesBucket: a managed bucket and what
// follows it are left in place; --delete-data does not empty it, and the
// plan says so; the bucket policy and the replication configuration learn
// the tags from the bucket's read: one GetBucketTagging for the three.
func TestCloudFormationTeardownLeavesBucket(t *testing.T) {
	reason := engine.ManagedReason(cfnTestManaged)
	for _, deleteData := range []bool{false, true} {
		bucketAPI := inSyncBucket()
		bucketAPI.tags = s3Tags(cfnTags("dev"))
		bucketAPI.objects = 3
		cfg := testBucketConfig()
		cfg.DeleteData = deleteData
		bucket := NewS3Bucket(cfg)
		bucket.api = bucketAPI
		// The followers answer GetBucketTagging with no tags at all: were
		// they asked, they would not see the bucket's mark.
		polAPI := &taggedBucketPolicyAPI{fakeS3BucketPolicy: &fakeS3BucketPolicy{policy: testBucketPolicyConfig().Document.JSON()}}
		pol := NewS3BucketPolicy(testBucketPolicyConfig())
		pol.api = polAPI
		repAPI := &taggedReplicationAPI{fakeS3Replication: &fakeS3Replication{cfg: &s3types.ReplicationConfiguration{
			Role: aws.String(testReplicationRole), Rules: []s3types.ReplicationRule{awsbootReplicationRule()}}}}
		rep := NewS3BucketReplication(testReplicationConfig())
		rep.api = repAPI
		// The bucket is read first, alone, so the followers find its
		// tags in the plan's cache (in a plan of the whole stack they
		// wait for the same read, Cached).
		ctx := engine.WithReadCache(context.Background())
		if _, _, err := bucket.Read(ctx); err != nil {
			t.Fatal(err)
		}
		for name, read := range map[string]func() (*engine.Observation, error){
			"bucket policy": func() (*engine.Observation, error) { o, _, err := pol.Read(ctx); return o, err },
			"replication":   func() (*engine.Observation, error) { o, _, err := rep.Read(ctx); return o, err },
		} {
			o, err := read()
			if err != nil {
				t.Fatal(err)
			}
			if o.ManagedBy != cfnTestManaged {
				t.Errorf("%s: ManagedBy = %q from the cached tags, want %q", name, o.ManagedBy, cfnTestManaged)
			}
		}
		if d := cmp.Diff([]string{"GetBucketPolicy"}, polAPI.calls); d != "" {
			t.Errorf("bucket policy's calls (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"GetBucketReplication"}, repAPI.calls); d != "" {
			t.Errorf("replication's calls (-want +got):\n%s", d)
		}

		// The same objects, planned for teardown as a stack is.
		polAPI.calls, repAPI.calls = nil, nil
		polAPI.tags, repAPI.tags = cfnTags("dev"), cfnTags("dev")
		p := teardown(t, "dev", engine.Typed(bucket), engine.Typed(pol), engine.Typed(rep))
		bucketReason := reason
		if deleteData {
			bucketReason += "; --delete-data does not apply: the bucket is not deleted, so it is not emptied either"
		}
		want := []string{
			"s3_bucket_replication.cache no-op: " + reason,
			"s3_bucket_policy.cache no-op: " + reason,
			"s3_bucket.cache no-op: " + bucketReason,
		}
		if d := cmp.Diff(want, changes(p)); d != "" {
			t.Errorf("delete data %v: teardown plan (-want +got):\n%s", deleteData, d)
		}
		for _, calls := range [][]string{polAPI.calls, repAPI.calls} {
			for _, c := range calls {
				if !strings.HasPrefix(c, "Get") {
					t.Errorf("delete data %v: teardown made a changing call: %s", deleteData, c)
				}
			}
		}
	}
}

// TestOIDCProviderCloudFormation: a provider a CloudFormation stack
// manages gets no uses tag, and teardown leaves it entirely.
func TestOIDCProviderCloudFormation(t *testing.T) {
	prov := newTestOIDC(nil, nil)
	api := &fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: cfnTags("demo")}
	prov.api = api
	o, st, err := prov.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diffs, err := prov.Diff(o, st); err != nil || len(diffs) != 0 {
		t.Errorf("Diff() = %v, %v; want no change (no uses tag on a CloudFormation provider)", diffs, err)
	}
	// Without the CloudFormation tag, the same provider wants this
	// stack's uses tag, as before.
	plain := &fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: map[string]string{engine.StackTag: "other"}}
	prov.api = plain
	o, st, err = prov.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diffs, _ := prov.Diff(o, st); len(diffs) != 1 || diffs[0].Path != "tags.awsboot:uses:demo" {
		t.Errorf("Diff() of a plain provider = %v, want the uses tag", diffs)
	}

	prov.api = api
	p := teardown(t, "demo", engine.Typed(prov))
	if d := cmp.Diff([]string{"iam_oidc_provider.acme.semaphoreci.com no-op: " + engine.ManagedReason(cfnTestManaged)}, changes(p)); d != "" {
		t.Errorf("teardown plan (-want +got):\n%s", d)
	}
	if len(api.calls) != 0 {
		t.Errorf("teardown made changing calls: %v", api.calls)
	}
}
