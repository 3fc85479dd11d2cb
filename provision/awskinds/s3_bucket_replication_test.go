// These tests use fakes of the narrow s3ReplicationAPI interface, not
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

	"github.com/awsboot/awsboot/provision/engine"
)

const (
	testReplicationRole = "arn:aws:iam::111122223333:role/awsboot-dev-replication"
	testReplicaBucket   = "arn:aws:s3:::cache-replica"
	// testReplication is what testReplicationConfig wants, as Diff shows it.
	testReplication = "role=" + testReplicationRole + ", destination=" + testReplicaBucket + ", account=444455556666, owner=Destination"
)

func testReplicationConfig() S3BucketReplicationConfig {
	return S3BucketReplicationConfig{
		Stack:              "dev",
		Bucket:             "cache",
		RoleARN:            testReplicationRole,
		Destination:        testReplicaBucket,
		DestinationAccount: "444455556666",
		OwnerOverride:      true,
		After:              []engine.Address{engine.Addr("s3_bucket", "cache")},
	}
}

func TestS3BucketReplicationDiff(t *testing.T) {
	tests := map[string]struct {
		cfg    func(*S3BucketReplicationConfig)
		exists bool
		cur    string
		want   []engine.FieldDiff
	}{
		"absent": {
			want: []engine.FieldDiff{{Path: "rule.awsboot-replicate", After: testReplication}},
		},
		"absent, same account, owner kept": {
			cfg: func(c *S3BucketReplicationConfig) { c.DestinationAccount, c.OwnerOverride = "", false },
			want: []engine.FieldDiff{{
				Path:  "rule.awsboot-replicate",
				After: "role=" + testReplicationRole + ", destination=" + testReplicaBucket,
			}},
		},
		"equal": {
			exists: true,
			cur:    testReplication,
		},
		"drifted: destination": {
			exists: true,
			cur:    "role=" + testReplicationRole + ", destination=arn:aws:s3:::elsewhere, account=444455556666, owner=Destination",
			want: []engine.FieldDiff{{
				Path:   "rule.awsboot-replicate",
				Before: "role=" + testReplicationRole + ", destination=arn:aws:s3:::elsewhere, account=444455556666, owner=Destination",
				After:  testReplication,
			}},
		},
		"drifted: owner override removed": {
			exists: true,
			cur:    "role=" + testReplicationRole + ", destination=" + testReplicaBucket + ", account=444455556666",
			want: []engine.FieldDiff{{
				Path:   "rule.awsboot-replicate",
				Before: "role=" + testReplicationRole + ", destination=" + testReplicaBucket + ", account=444455556666",
				After:  testReplication,
			}},
		},
		"drifted: another rule added by hand": {
			exists: true,
			cur:    testReplication + ", +1 other rules",
			want: []engine.FieldDiff{{
				Path:   "rule.awsboot-replicate",
				Before: testReplication + ", +1 other rules",
				After:  testReplication,
			}},
		},
		"drifted: only someone else's rules": {
			exists: true,
			cur:    "2 rules, none of them awsboot's",
			want: []engine.FieldDiff{{
				Path:   "rule.awsboot-replicate",
				Before: "2 rules, none of them awsboot's",
				After:  testReplication,
			}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testReplicationConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r := NewS3BucketReplication(cfg)
			got, err := r.Diff(&engine.Observation{Exists: tc.exists, DerivedOwnership: true}, tc.cur)
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// awsbootReplicationRule is the rule as S3 returns what Update wrote.
func awsbootReplicationRule() s3types.ReplicationRule {
	return s3types.ReplicationRule{
		ID: aws.String(replicationRuleID), Status: s3types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
		Filter: &s3types.ReplicationRuleFilter{Prefix: aws.String("")},
		Destination: &s3types.Destination{
			Bucket:                   aws.String(testReplicaBucket),
			Account:                  aws.String("444455556666"),
			AccessControlTranslation: &s3types.AccessControlTranslation{Owner: s3types.OwnerOverrideDestination},
		},
	}
}

func TestObservedReplication(t *testing.T) {
	manual := s3types.ReplicationRule{
		ID: aws.String("manual"), Status: s3types.ReplicationRuleStatusEnabled,
		Destination: &s3types.Destination{Bucket: aws.String("arn:aws:s3:::backup")},
	}
	disabled := awsbootReplicationRule()
	disabled.Status = s3types.ReplicationRuleStatusDisabled
	tests := map[string]struct {
		cfg  *s3types.ReplicationConfiguration
		want string
	}{
		"none": {},
		"awsboot's rule": {
			cfg:  &s3types.ReplicationConfiguration{Role: aws.String(testReplicationRole), Rules: []s3types.ReplicationRule{awsbootReplicationRule()}},
			want: testReplication,
		},
		"awsboot's rule and another": {
			cfg:  &s3types.ReplicationConfiguration{Role: aws.String(testReplicationRole), Rules: []s3types.ReplicationRule{manual, awsbootReplicationRule()}},
			want: testReplication + ", +1 other rules",
		},
		"awsboot's rule disabled": {
			cfg:  &s3types.ReplicationConfiguration{Role: aws.String(testReplicationRole), Rules: []s3types.ReplicationRule{disabled}},
			want: "1 rules, none of them awsboot's",
		},
		"someone else's rule": {
			cfg:  &s3types.ReplicationConfiguration{Role: aws.String(testReplicationRole), Rules: []s3types.ReplicationRule{manual}},
			want: "1 rules, none of them awsboot's",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ObservedReplication(tc.cfg)); diff != "" {
				t.Errorf("observedReplication mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeS3Replication answers the calls Read, Update and Delete make,
// recording their names; any other call panics on the nil
// s3ReplicationAPI.
type fakeS3Replication struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	s3ReplicationAPI
	calls []string
	// cfg and getErr answer GetBucketReplication; stackTag is the bucket's
	// awsboot:stack tag.
	cfg      *s3types.ReplicationConfiguration
	getErr   error
	stackTag string
	// put is what the last PutBucketReplication wrote.
	put *s3types.ReplicationConfiguration
}

func (f *fakeS3Replication) GetBucketReplication(context.Context, *s3.GetBucketReplicationInput, ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error) {
	f.calls = append(f.calls, "GetBucketReplication")
	if f.getErr != nil {
		return nil, f.getErr
	}
	return &s3.GetBucketReplicationOutput{ReplicationConfiguration: f.cfg}, nil
}

func (f *fakeS3Replication) GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	f.calls = append(f.calls, "GetBucketTagging")
	return &s3.GetBucketTaggingOutput{TagSet: []s3types.Tag{{Key: aws.String(engine.StackTag), Value: aws.String(f.stackTag)}}}, nil
}

func (f *fakeS3Replication) PutBucketReplication(_ context.Context, in *s3.PutBucketReplicationInput, _ ...func(*s3.Options)) (*s3.PutBucketReplicationOutput, error) {
	f.calls = append(f.calls, "PutBucketReplication")
	f.put = in.ReplicationConfiguration
	return &s3.PutBucketReplicationOutput{}, nil
}

func (f *fakeS3Replication) DeleteBucketReplication(context.Context, *s3.DeleteBucketReplicationInput, ...func(*s3.Options)) (*s3.DeleteBucketReplicationOutput, error) {
	f.calls = append(f.calls, "DeleteBucketReplication")
	return &s3.DeleteBucketReplicationOutput{}, nil
}

func TestS3BucketReplicationRead(t *testing.T) {
	absentNote := []string{"replication copies objects written from now on; objects already in the bucket are not replicated (use S3 Batch Replication for those)"}
	inSync := &s3types.ReplicationConfiguration{Role: aws.String(testReplicationRole), Rules: []s3types.ReplicationRule{awsbootReplicationRule()}}
	tests := map[string]struct {
		fake      *fakeS3Replication
		wantObs   *engine.Observation
		wantState string
		wantCalls []string
		wantErr   string
	}{
		"absent": {
			fake:      &fakeS3Replication{getErr: s3CodeError("ReplicationConfigurationNotFoundError")},
			wantObs:   &engine.Observation{DerivedOwnership: true, Notes: absentNote},
			wantCalls: []string{"GetBucketReplication"},
		},
		"no bucket yet (404)": {
			fake:      &fakeS3Replication{getErr: s3HTTPError(http.StatusNotFound)},
			wantObs:   &engine.Observation{DerivedOwnership: true, Notes: absentNote},
			wantCalls: []string{"GetBucketReplication"},
		},
		"present on the stack's bucket": {
			fake:      &fakeS3Replication{cfg: inSync, stackTag: "dev"},
			wantObs:   &engine.Observation{Exists: true, DerivedOwnership: true, Owner: "dev"},
			wantState: testReplication,
			wantCalls: []string{"GetBucketReplication", "GetBucketTagging"},
		},
		"present on another stack's bucket": {
			fake:      &fakeS3Replication{cfg: inSync, stackTag: "prod"},
			wantObs:   &engine.Observation{Exists: true, DerivedOwnership: true},
			wantState: testReplication,
			wantCalls: []string{"GetBucketReplication", "GetBucketTagging"},
		},
		"access denied": {
			fake:      &fakeS3Replication{getErr: s3CodeError("AccessDenied")},
			wantErr:   `reading replication of bucket "cache"`,
			wantCalls: []string{"GetBucketReplication"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := NewS3BucketReplication(testReplicationConfig())
			r.api = tc.fake
			o, st, err := r.Read(context.Background())
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
			if diff := cmp.Diff(tc.wantState, st); diff != "" {
				t.Errorf("state mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Update, given a drift, writes awsboot's one rule and nothing else; read
// back, that rule diffs as nothing, so the next plan is clean.
func TestS3BucketReplicationUpdateRepairsDrift(t *testing.T) {
	tests := map[string]struct {
		cfg func(*S3BucketReplicationConfig)
		cur string
	}{
		"destination changed": {
			cur: "role=" + testReplicationRole + ", destination=arn:aws:s3:::elsewhere, account=444455556666, owner=Destination",
		},
		"same account, owner kept": {
			cfg: func(c *S3BucketReplicationConfig) { c.DestinationAccount, c.OwnerOverride = "", false },
			cur: testReplication,
		},
		"another rule added by hand": {
			cur: testReplication + ", +1 other rules",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testReplicationConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r := NewS3BucketReplication(cfg)
			fake := &fakeS3Replication{}
			r.api = fake
			o := &engine.Observation{Exists: true, DerivedOwnership: true, Owner: "dev"}
			diffs, err := r.Diff(o, tc.cur)
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			if len(diffs) == 0 {
				t.Fatalf("Diff found no drift in %q", tc.cur)
			}
			if err := r.Update(context.Background(), o, tc.cur, diffs); err != nil {
				t.Fatalf("Update: %v", err)
			}
			if diff := cmp.Diff([]string{"PutBucketReplication"}, fake.calls); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			if fake.put == nil {
				t.Fatal("PutBucketReplication wrote no configuration")
			}
			after, err := r.Diff(o, ObservedReplication(fake.put))
			if err != nil {
				t.Fatalf("Diff after Update: %v", err)
			}
			if diff := cmp.Diff([]engine.FieldDiff(nil), after); diff != "" {
				t.Errorf("drift left after Update (-want +got):\n%s", diff)
			}
		})
	}
}

func TestS3BucketReplicationDeleteCalls(t *testing.T) {
	r := NewS3BucketReplication(testReplicationConfig())
	fake := &fakeS3Replication{}
	r.api = fake
	if err := r.Delete(context.Background(), &engine.Observation{Exists: true}, testReplication); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if diff := cmp.Diff([]string{"DeleteBucketReplication"}, fake.calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}
