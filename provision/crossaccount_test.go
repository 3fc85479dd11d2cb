package provision

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/policies/policytest"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/golden"
)

func (e *testEnv) bucketPolicy(bucket string) policies.Document {
	e.t.Helper()
	out, err := e.s3().GetBucketPolicy(e.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	doc, err := policies.Parse(aws.ToString(out.Policy))
	if err != nil {
		e.t.Fatal(err)
	}
	return doc
}

// TestCrossAccountBootstrap is point 1 of the cross-account issue.
func TestCrossAccountBootstrap(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("cross-account-artifacts.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	bucket := aws.String("target-bucket")

	own, err := e.s3().GetBucketOwnershipControls(e.ctx, &s3.GetBucketOwnershipControlsInput{Bucket: bucket})
	if err != nil || own.OwnershipControls.Rules[0].ObjectOwnership != s3types.ObjectOwnershipBucketOwnerEnforced {
		t.Errorf("ownership = %+v, %v", own, err)
	}
	pab, err := e.s3().GetPublicAccessBlock(e.ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
	if err != nil || !*pab.PublicAccessBlockConfiguration.BlockPublicPolicy || !*pab.PublicAccessBlockConfiguration.RestrictPublicBuckets {
		t.Errorf("public access block = %+v, %v", pab, err)
	}
	golden.Assert(t, "testdata/bucketpolicy/cross-account-artifacts.golden", e.bucketPolicy("target-bucket").JSON()+"\n")
	golden.Assert(t, "testdata/bucketpolicy/destination-policy.golden", readFile(t, filepath.Join(e.dir, "dest-policy.json")))

	rep, err := e.s3().GetBucketReplication(e.ctx, &s3.GetBucketReplicationInput{Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	if got := awskinds.ObservedReplication(rep.ReplicationConfiguration); got != "role=arn:aws:iam::123456789012:role/target-bucket-replication, destination=arn:aws:s3:::other-bucket, account=444455556666, owner=Destination" {
		t.Errorf("replication = %s", got)
	}
	ver, err := e.s3().GetBucketVersioning(e.ctx, &s3.GetBucketVersioningInput{Bucket: bucket})
	if err != nil || ver.Status != s3types.BucketVersioningStatusEnabled {
		t.Errorf("versioning = %v, %v (replication needs it)", ver, err)
	}
	perms, err := e.iam().GetRolePolicy(e.ctx, &iam.GetRolePolicyInput{RoleName: aws.String("target-bucket-replication"), PolicyName: aws.String("replication")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := policies.Parse(aws.ToString(perms.PolicyDocument))
	if !policies.Equal(doc, policies.Replication(policies.Scope{Bucket: "target-bucket"}, "other-bucket", true)) || len(policies.Lint(doc)) > 0 {
		t.Errorf("replication permissions:\n%s", doc.JSON())
	}

	e.reconnect()
	if p := e.apply(s, engine.ModeApply, runOpts{}); p.HasChanges() || len(e.c.Calls.Mutating()) > 0 {
		t.Errorf("second run: changes %v, mutating calls %v", allDiffs(p), e.c.Calls.Mutating())
	}
	e.apply(s, engine.ModeDestroy, runOpts{})
	e.assertNothingOwned()
}

// TestCrossAccountDrift is point 3: ownership, a statement added by hand
// to the bucket policy, and a removed replication rule are all shown and
// repaired.
func TestCrossAccountDrift(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("cross-account-artifacts.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	bucket := aws.String("target-bucket")
	if _, err := e.s3().PutBucketOwnershipControls(e.ctx, &s3.PutBucketOwnershipControlsInput{Bucket: bucket,
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipObjectWriter}}}}); err != nil {
		t.Fatal(err)
	}
	wider := e.bucketPolicy("target-bucket")
	wider.Statement = append(wider.Statement, policies.Statement{Sid: "AddedByHand", Effect: "Allow",
		Principal: &policies.Principal{Values: map[string]policies.StringList{"AWS": {"arn:aws:iam::999999999999:root"}}},
		Action:    policies.StringList{"s3:GetObject"}, Resource: policies.StringList{"arn:aws:s3:::target-bucket/*"}})
	if _, err := e.s3().PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(wider.JSON())}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3().DeleteBucketReplication(e.ctx, &s3.DeleteBucketReplicationInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{
		"s3_bucket.target-bucket object_ownership",
		"s3_bucket_policy.target-bucket document",
		"s3_bucket_replication.target-bucket rule.awsboot-replicate",
	}, allDiffs(p)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("after repair: %v %v", err, allDiffs(p))
	}
	if strings.Contains(e.bucketPolicy("target-bucket").JSON(), "AddedByHand") {
		t.Error("the statement added by hand is still there")
	}
}

// TestForeignBucketPolicyNeedsAdopt: a bucket policy without any awsboot
// statement is someone else's; awsboot replaces it only with --adopt.
func TestForeignBucketPolicyNeedsAdopt(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("cross-account-artifacts.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	foreign := `{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::target-bucket/*"}]}`
	if _, err := e.s3().PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("target-bucket"), Policy: aws.String(foreign)}); err != nil {
		t.Fatal(err)
	}
	_, err := e.plan(s, engine.ModeApply, runOpts{})
	var no *engine.NotOwnedError
	if !errors.As(err, &no) || no.Addr != "s3_bucket_policy.target-bucket" || !strings.Contains(err.Error(), "--adopt") {
		t.Fatalf("err = %v, want the bucket policy reported as not awsboot's", err)
	}
	e.apply(s, engine.ModeApply, runOpts{adopt: true})
	if !policies.OwnedBy(e.bucketPolicy("target-bucket")) {
		t.Error("--adopt did not replace the foreign policy")
	}
}

// uploadSpec is the example with ownership not enforced, so the writer
// statement requires the bucket-owner-full-control ACL.
const uploadSpec = `version: 1
stack: uploads
region: us-east-1
bucket:
  name: shared-artifacts
  object_ownership: %OWNERSHIP%
  writers:
    - {principal: "arn:aws:iam::111122223333:root", prefix: assets/}
access:
  - {name: reader, grant: cache, user: reader, write: {aws_profile: reader}}
`

// TestCrossAccountUpload is point 2, with two moto accounts: moto maps
// credentials of an assumed role to the role's account, so a session of
// arn:aws:iam::111122223333:role/ci acts as account A, while awsboot's
// identity is account B (123456789012). moto does not evaluate bucket
// policies (only identity policies), so what the bucket policy allows is
// checked with policytest on the exact document moto stored; the upload
// and the owner's read go through moto.
func TestCrossAccountUpload(t *testing.T) {
	for _, ownership := range []string{"bucket-owner-enforced", "bucket-owner-preferred"} {
		t.Run(ownership, func(t *testing.T) {
			e := newTestEnv(t)
			writeFile(t, filepath.Join(e.dir, "uploads.yaml"), strings.Replace(uploadSpec, "%OWNERSHIP%", ownership, 1))
			s, err := LoadSpec(filepath.Join(e.dir, "uploads.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			e.apply(s, engine.ModeApply, runOpts{})

			out, err := sts.NewFromConfig(rawConfig(t, moto.URL, "testing", "testing")).AssumeRole(e.ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:aws:iam::111122223333:role/ci"), RoleSessionName: aws.String("jenkins"),
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg := rawConfig(t, moto.URL, "", "")
			cfg.Credentials = staticSession{id: aws.ToString(out.Credentials.AccessKeyId), secret: aws.ToString(out.Credentials.SecretAccessKey), token: aws.ToString(out.Credentials.SessionToken)}
			who, err := sts.NewFromConfig(cfg).GetCallerIdentity(e.ctx, &sts.GetCallerIdentityInput{})
			if err != nil || aws.ToString(who.Account) != "111122223333" {
				t.Fatalf("writer identity = %v, %v; want account 111122223333", who, err)
			}
			writer := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
			put := &s3.PutObjectInput{Bucket: aws.String("shared-artifacts"), Key: aws.String("assets/app.js"), Body: strings.NewReader("console.log(1)")}
			ctx := map[string]string{}
			if ownership != "bucket-owner-enforced" {
				put.ACL = s3types.ObjectCannedACLBucketOwnerFullControl
				ctx["s3:x-amz-acl"] = "bucket-owner-full-control"
			}
			if _, err := writer.PutObject(e.ctx, put); err != nil {
				t.Fatalf("cross-account upload: %v", err)
			}
			if _, err := e.s3().GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("shared-artifacts"), Key: aws.String("assets/app.js")}); err != nil {
				t.Errorf("the bucket owner cannot read the uploaded object: %v", err)
			}

			doc := e.bucketPolicy("shared-artifacts")
			req := policytest.Request{Principal: aws.ToString(who.Arn), Action: "s3:PutObject", Resource: "arn:aws:s3:::shared-artifacts/assets/app.js", Context: ctx}
			if !policytest.Allows(doc, req) {
				t.Errorf("the bucket policy does not allow the writer's upload:\n%s", doc.JSON())
			}
			req.Context = nil
			if got, want := policytest.Allows(doc, req), ownership == "bucket-owner-enforced"; got != want {
				t.Errorf("upload without the ACL allowed = %v, want %v", got, want)
			}
			req.Resource = "arn:aws:s3:::shared-artifacts/other/app.js"
			req.Context = ctx
			if policytest.Allows(doc, req) {
				t.Error("the writer may upload outside its prefix")
			}
		})
	}
}

// TestRemovedWritersLoseAccess: when the spec no longer lists writers or a
// CDN, the awsboot bucket policy is deleted, so nobody keeps access the
// spec stopped giving; a policy awsboot did not write is left alone.
func TestRemovedWritersLoseAccess(t *testing.T) {
	e := newTestEnv(t)
	writeFile(t, filepath.Join(e.dir, "uploads.yaml"), strings.Replace(uploadSpec, "%OWNERSHIP%", "bucket-owner-enforced", 1))
	with, err := LoadSpec(filepath.Join(e.dir, "uploads.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.apply(with, engine.ModeApply, runOpts{})
	without := strings.Replace(strings.Replace(uploadSpec, "%OWNERSHIP%", "bucket-owner-enforced", 1),
		"  writers:\n    - {principal: \"arn:aws:iam::111122223333:root\", prefix: assets/}\n", "", 1)
	writeFile(t, filepath.Join(e.dir, "uploads.yaml"), without)
	s, err := LoadSpec(filepath.Join(e.dir, "uploads.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := e.apply(s, engine.ModeApply, runOpts{})
	if diff := cmp.Diff([]string{"s3_bucket_policy.shared-artifacts document"}, allDiffs(p)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if _, err := e.s3().GetBucketPolicy(e.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("shared-artifacts")}); awsapi.ErrorCode(err) != "NoSuchBucketPolicy" {
		t.Errorf("the bucket policy is still there: %v", err)
	}
	foreign := `{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-artifacts/*"}]}`
	if _, err := e.s3().PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("shared-artifacts"), Policy: aws.String(foreign)}); err != nil {
		t.Fatal(err)
	}
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("a policy awsboot did not write is touched: %v %v", err, allDiffs(p))
	}
}
