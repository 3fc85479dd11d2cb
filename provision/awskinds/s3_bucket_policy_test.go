// These tests use fakes of the narrow s3BucketPolicyAPI interface, not
// stand-ins for S3: a fake embeds the interface, answers only the calls a
// test expects and panics on any other (the embedded interface is nil).
// How S3 itself behaves is covered by the integration tests against moto.

package awskinds

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
)

const testDistributionARN = "arn:aws:cloudfront::111122223333:distribution/E2EXAMPLE"

// testBucketPolicyConfig is a policy with a cross-account writer and a
// CloudFront reader.
func testBucketPolicyConfig() S3BucketPolicyConfig {
	return S3BucketPolicyConfig{
		Stack:      "dev",
		Bucket:     "cache",
		BucketAddr: engine.Addr("s3_bucket", "cache"),
		Document: policies.Document{Version: policies.Version, Statement: []policies.Statement{
			writerStatement("arn:aws:iam::444455556666:root"),
			cloudFrontStatement,
		}},
		Notes: []string{"writers: 444455556666"},
	}
}

// writerStatement lets principal put objects under uploads/, as the
// policies package writes it (spelt out here, so these tests do not
// depend on its constructors).
func writerStatement(principal string) policies.Statement {
	return policies.Statement{
		Sid:       "AwsbootWriter1",
		Effect:    "Allow",
		Principal: &policies.Principal{Values: map[string]policies.StringList{"AWS": {principal}}},
		Action:    policies.StringList{"s3:PutObject"},
		Resource:  policies.StringList{"arn:aws:s3:::cache/uploads/*"},
	}
}

// cloudFrontStatement lets one CloudFront distribution read the objects.
var cloudFrontStatement = policies.Statement{
	Sid:       "AwsbootCloudFrontRead",
	Effect:    "Allow",
	Principal: &policies.Principal{Values: map[string]policies.StringList{"Service": {"cloudfront.amazonaws.com"}}},
	Action:    policies.StringList{"s3:GetObject"},
	Resource:  policies.StringList{"arn:aws:s3:::cache/*"},
	Condition: policies.Condition{"StringEquals": {"AWS:SourceArn": {testDistributionARN}}},
}

// manualStatement is a statement added by hand: not awsboot's Sid.
var manualStatement = policies.Statement{
	Sid:       "Manual",
	Effect:    "Allow",
	Principal: &policies.Principal{Any: true},
	Action:    policies.StringList{"s3:GetObject"},
	Resource:  policies.StringList{"arn:aws:s3:::cache/public/*"},
}

func TestS3BucketPolicyDiff(t *testing.T) {
	want := testBucketPolicyConfig().Document
	reordered := policies.Document{Version: policies.Version, Statement: []policies.Statement{want.Statement[1], want.Statement[0]}}
	withManual := policies.Document{Version: policies.Version, Statement: append([]policies.Statement{manualStatement}, want.Statement...)}
	oldWriter := policies.Document{Version: policies.Version, Statement: []policies.Statement{
		writerStatement("arn:aws:iam::777788889999:root"),
		cloudFrontStatement,
	}}
	// The same grants as IAM may return them: one action as a plain
	// string, another case, other statement order.
	sameGrants, err := policies.Parse(`{"Version":"2012-10-17","Statement":[
		{"Sid":"AwsbootCloudFrontRead","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"S3:GetObject","Resource":"arn:aws:s3:::cache/*","Condition":{"StringEquals":{"aws:SourceArn":"` + testDistributionARN + `"}}},
		{"Sid":"AwsbootWriter1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::cache/uploads/*"}]}`)
	if err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct {
		notWanted bool // the spec grants nothing: the config's document is empty
		exists    bool
		cur       policies.Document
		want      []engine.FieldDiff
	}{
		"absent, wanted": {
			want: []engine.FieldDiff{{Path: "document", After: want.JSON()}},
		},
		"absent, not wanted": {
			notWanted: true,
		},
		"present, not wanted (removed)": {
			notWanted: true,
			exists:    true,
			cur:       oldWriter,
			want:      []engine.FieldDiff{{Path: "document", Before: oldWriter.JSON()}},
		},
		"equal": {
			exists: true,
			cur:    want,
		},
		"equal, statements in another order": {
			exists: true,
			cur:    reordered,
		},
		"equal, as S3 writes it back": {
			exists: true,
			cur:    sameGrants,
		},
		"drifted: statement added by hand": {
			exists: true,
			cur:    withManual,
			want:   []engine.FieldDiff{{Path: "document", Before: withManual.JSON(), After: want.JSON()}},
		},
		"drifted: writer changed": {
			exists: true,
			cur:    oldWriter,
			want:   []engine.FieldDiff{{Path: "document", Before: oldWriter.JSON(), After: want.JSON()}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testBucketPolicyConfig()
			if tc.notWanted {
				cfg.Document = policies.Document{Version: policies.Version}
			}
			p := NewS3BucketPolicy(cfg)
			o := &engine.Observation{Exists: tc.exists}
			if tc.exists {
				o.Owner = "dev"
			}
			got, err := p.Diff(o, tc.cur)
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeS3BucketPolicy answers the calls Read, Create, Update and Delete
// make, recording their names; any other call panics on the nil
// s3BucketPolicyAPI.
type fakeS3BucketPolicy struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	s3BucketPolicyAPI
	calls []string
	// policy and policyErr answer GetBucketPolicy; stackTag is the
	// bucket's awsboot:stack tag ("" for none).
	policy    string
	policyErr error
	stackTag  string
	// put is the document the last PutBucketPolicy wrote.
	put string
}

func (f *fakeS3BucketPolicy) GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	f.calls = append(f.calls, "GetBucketPolicy")
	if f.policyErr != nil {
		return nil, f.policyErr
	}
	return &s3.GetBucketPolicyOutput{Policy: aws.String(f.policy)}, nil
}

func (f *fakeS3BucketPolicy) GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	f.calls = append(f.calls, "GetBucketTagging")
	if f.stackTag == "" {
		return nil, s3CodeError("NoSuchTagSet")
	}
	return &s3.GetBucketTaggingOutput{TagSet: []s3types.Tag{{Key: aws.String(engine.StackTag), Value: aws.String(f.stackTag)}}}, nil
}

func (f *fakeS3BucketPolicy) PutBucketPolicy(_ context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	f.calls = append(f.calls, "PutBucketPolicy")
	f.put = aws.ToString(in.Policy)
	return &s3.PutBucketPolicyOutput{}, nil
}

func (f *fakeS3BucketPolicy) DeleteBucketPolicy(context.Context, *s3.DeleteBucketPolicyInput, ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
	f.calls = append(f.calls, "DeleteBucketPolicy")
	return &s3.DeleteBucketPolicyOutput{}, nil
}

func TestS3BucketPolicyRead(t *testing.T) {
	cfg := testBucketPolicyConfig()
	foreign := policies.Document{Version: policies.Version, Statement: []policies.Statement{manualStatement}}
	tests := map[string]struct {
		notWanted bool
		fake      *fakeS3BucketPolicy
		wantObs   *engine.Observation
		wantDoc   policies.Document
		wantCalls []string
		wantErr   string
	}{
		"existing awsboot policy": {
			fake:      &fakeS3BucketPolicy{policy: cfg.Document.JSON(), stackTag: "dev"},
			wantObs:   &engine.Observation{Exists: true, Owner: "dev", Notes: cfg.Notes},
			wantDoc:   cfg.Document,
			wantCalls: []string{"GetBucketPolicy", "GetBucketTagging"},
		},
		"no policy": {
			fake:      &fakeS3BucketPolicy{policyErr: s3CodeError("NoSuchBucketPolicy")},
			wantObs:   &engine.Observation{Notes: cfg.Notes},
			wantCalls: []string{"GetBucketPolicy"},
		},
		"no bucket yet (404)": {
			fake:      &fakeS3BucketPolicy{policyErr: s3HTTPError(http.StatusNotFound)},
			wantObs:   &engine.Observation{Notes: cfg.Notes},
			wantCalls: []string{"GetBucketPolicy"},
		},
		"someone else's policy, nothing wanted: left alone": {
			notWanted: true,
			fake:      &fakeS3BucketPolicy{policy: foreign.JSON(), stackTag: "dev"},
			wantObs:   &engine.Observation{},
			wantCalls: []string{"GetBucketPolicy", "GetBucketTagging"},
		},
		"someone else's policy, wanted: not owned": {
			fake:      &fakeS3BucketPolicy{policy: foreign.JSON(), stackTag: "dev"},
			wantObs:   &engine.Observation{Exists: true, Notes: cfg.Notes},
			wantDoc:   foreign,
			wantCalls: []string{"GetBucketPolicy", "GetBucketTagging"},
		},
		"awsboot policy on another stack's bucket": {
			fake:      &fakeS3BucketPolicy{policy: cfg.Document.JSON(), stackTag: "prod"},
			wantObs:   &engine.Observation{Exists: true, Notes: cfg.Notes},
			wantDoc:   cfg.Document,
			wantCalls: []string{"GetBucketPolicy", "GetBucketTagging"},
		},
		"awsboot policy left from an earlier spec": {
			notWanted: true,
			fake:      &fakeS3BucketPolicy{policy: cfg.Document.JSON(), stackTag: "dev"},
			wantObs:   &engine.Observation{Exists: true, Owner: "dev"},
			wantDoc:   cfg.Document,
			wantCalls: []string{"GetBucketPolicy", "GetBucketTagging"},
		},
		"unparsable policy": {
			fake:      &fakeS3BucketPolicy{policy: `{"Version":"2012-10-17","Statement":[],"Extra":1}`},
			wantErr:   `bucket "cache": parsing policy document`,
			wantCalls: []string{"GetBucketPolicy"},
		},
		"access denied": {
			fake:      &fakeS3BucketPolicy{policyErr: s3CodeError("AccessDenied")},
			wantErr:   `reading the policy of bucket "cache"`,
			wantCalls: []string{"GetBucketPolicy"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := testBucketPolicyConfig()
			if tc.notWanted {
				c.Document, c.Notes = policies.Document{Version: policies.Version}, nil
			}
			p := NewS3BucketPolicy(c)
			p.api = tc.fake
			o, doc, err := p.Read(context.Background())
			if diff := cmp.Diff(tc.wantCalls, tc.fake.calls); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tc.wantObs, o, s3ObservationOpts); diff != "" {
				t.Errorf("observation mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDoc, doc); diff != "" {
				t.Errorf("document mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestS3BucketPolicyApplyCalls(t *testing.T) {
	cfg := testBucketPolicyConfig()
	drifted := policies.Document{Version: policies.Version, Statement: append([]policies.Statement{manualStatement}, cfg.Document.Statement...)}
	tests := map[string]struct {
		notWanted bool
		exists    bool
		cur       policies.Document
		wantCalls []string
		wantPut   string
	}{
		"create": {
			wantCalls: []string{"PutBucketPolicy"},
			wantPut:   cfg.Document.JSON(),
		},
		"drift": {
			exists:    true,
			cur:       drifted,
			wantCalls: []string{"PutBucketPolicy"},
			wantPut:   cfg.Document.JSON(),
		},
		"no longer wanted": {
			notWanted: true,
			exists:    true,
			cur:       cfg.Document,
			wantCalls: []string{"DeleteBucketPolicy"},
		},
		"no drift": {
			exists: true,
			cur:    cfg.Document,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := testBucketPolicyConfig()
			if tc.notWanted {
				c.Document = policies.Document{Version: policies.Version}
			}
			p := NewS3BucketPolicy(c)
			fake := &fakeS3BucketPolicy{}
			p.api = fake
			o := &engine.Observation{Exists: tc.exists, Owner: "dev"}
			diffs, err := p.Diff(o, tc.cur)
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			// As the executor does: create what is absent, update what
			// drifted, nothing when up to date.
			switch {
			case diffs == nil:
			case !o.Exists:
				err = p.Create(context.Background(), o, tc.cur)
			default:
				err = p.Update(context.Background(), o, tc.cur, diffs)
			}
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if diff := cmp.Diff(tc.wantCalls, fake.calls); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantPut, fake.put); diff != "" {
				t.Errorf("written policy mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
