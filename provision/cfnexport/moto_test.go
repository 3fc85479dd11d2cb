package cfnexport_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/mototest"
)

// moto is this package's emulator, for the deployment test; each test
// resets it first.
var moto *mototest.Server

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	home, err := os.MkdirTemp("", "awsboot-cfnexport-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(home)
	for k, v := range map[string]string{
		"HOME": home, "AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "XDG_CACHE_HOME"} {
		os.Unsetenv(k)
	}
	if os.Getenv("AWSBOOT_SKIP_MOTO") == "" {
		moto, err = mototest.Start(mototest.Options{})
		if err != nil {
			fmt.Fprintf(os.Stderr, "the deployment test needs moto: %v\n(set AWSBOOT_SKIP_MOTO=1 to run only the unit tests)\n", err)
			return 1
		}
		defer moto.Stop()
	}
	return m.Run()
}

// motoGaps are the differences between a stack moto's CloudFormation
// deploys and one AWS's deploys, for the template's types (moto 5.2.1,
// moto/s3/models.py and moto/iam/models.py, create_from_cloudformation_json):
//
//   - AWS::S3::BucketPolicy and AWS::IAM::OIDCProvider are not deployed at
//     all (moto warns "not supported by moto's CloudFormation
//     implementation"): their properties are checked against the schema
//     only (TestExportMatchesSchema), and awsboot's plan creates them. A
//     Ref to the provider would not resolve, so the stack is created with
//     every Create… parameter "false", as for an account that has the
//     provider: the provider is then not the stack's.
//   - AWS::S3::Bucket applies BucketName, BucketEncryption and Tags only:
//     PublicAccessBlockConfiguration, OwnershipControls,
//     LifecycleConfiguration, VersioningConfiguration and
//     ReplicationConfiguration are dropped, so awsboot's plan repairs
//     exactly those.
//   - AWS::IAM::User drops Tags: the test tags each user as CloudFormation
//     would (TagUser with the template's tags), since without its
//     awsboot:stack tag the user is not the stack's.
var motoGaps = struct {
	created    []string // address prefixes the plan creates
	bucketDiff []string // diff paths of the bucket's update
}{
	created:    []string{"s3_bucket_policy.", "s3_bucket_replication."},
	bucketDiff: []string{"public_access_block", "object_ownership", "lifecycle", "versioning"},
}

// TestTemplateDeploysWhatAwsbootPlans deploys every example's template
// with moto's CloudFormation (create-stack), then plans the same spec
// (the bucket named as the template names it) with awsboot against that
// account: every object the template made is converged, apart from the
// moto gaps above and what a template cannot hold (keys, files). Then
// awsboot bootstrap fills those in, a second plan has no change, and the
// teardown plan leaves every CloudFormation-managed object in place.
func TestTemplateDeploysWhatAwsbootPlans(t *testing.T) {
	if moto == nil {
		t.Skip("AWSBOOT_SKIP_MOTO is set")
	}
	for _, path := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			if err := moto.Reset(); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			// The spec names the bucket per account, as docs/multi-account.md
			// says a spec for a StackSet does: the template and awsboot's
			// plan then use the same spec.
			s, res, j := exportSpec(t, load(t, path, true))
			cfg, err := config.LoadDefaultConfig(ctx, config.WithBaseEndpoint(moto.URL), config.WithRegion("us-east-1"))
			if err != nil {
				t.Fatal(err)
			}
			cfn := cloudformation.NewFromConfig(cfg)
			stackName := "StackSet-" + name + "-0001"
			// moto cannot make an OIDC provider, so the stack is told the
			// account has it (Create…=false): the roles then trust it by
			// its ARN, and awsboot's plan makes it, outside the stack.
			var params []cfntypes.Parameter
			notInStack := map[string]bool{}
			for id := range res.Template.Parameters {
				if strings.HasPrefix(id, "Create") {
					params = append(params, cfntypes.Parameter{ParameterKey: aws.String(id), ParameterValue: aws.String("false")})
				}
			}
			for _, p := range res.Template.GetAllIAMOIDCProviderResources() {
				notInStack["iam_oidc_provider."+strings.TrimPrefix(aws.ToString(p.Url), "https://")] = true
			}
			if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
				StackName: aws.String(stackName), TemplateBody: aws.String(string(j)), Parameters: params,
				Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam},
			}); err != nil {
				t.Fatalf("create-stack: %v", err)
			}
			out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackName)})
			if err != nil || len(out.Stacks) != 1 || out.Stacks[0].StackStatus != cfntypes.StackStatusCreateComplete {
				t.Fatalf("describe-stacks: %v %+v", err, out)
			}

			c, err := awsapi.Connect(ctx, awsapi.ConnectOptions{Endpoint: moto.URL, Region: "us-east-1", ProbeManagedPolicies: true})
			if err != nil {
				t.Fatal(err)
			}
			// moto's AWS::IAM::User drops Tags: tag each user as
			// CloudFormation does on AWS.
			iamc := c.IAM.(*iam.Client)
			for _, r := range res.Template.GetAllIAMUserResources() {
				_, err := iamc.TagUser(ctx, &iam.TagUserInput{UserName: r.UserName, Tags: []iamtypes.Tag{
					{Key: aws.String(engine.StackTag), Value: aws.String(s.Stack)},
					{Key: aws.String(engine.CloudFormationStackTag), Value: aws.String(stackName)},
				}})
				if err != nil {
					t.Fatal(err)
				}
			}

			dir := t.TempDir()
			files := consumers.AWSFiles{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
			s.File = filepath.Join(dir, filepath.Base(s.File)) // the spec's relative files land in dir
			plan := func(mode engine.Mode) (*provision.Stack, *engine.Plan) {
				t.Helper()
				st, err := provision.Build(s, c.Account, provision.BuildOptions{Files: files})
				if err != nil {
					t.Fatal(err)
				}
				st.Connect(c)
				p, err := st.Plan(ctx, mode, engine.PlanOptions{Parallelism: 4})
				if err != nil {
					t.Fatalf("plan: %v", err)
				}
				return st, p
			}

			leftOut := notInStack
			for _, l := range res.LeftOut {
				leftOut[l.What] = true
			}
			st, p := plan(engine.ModeApply)
			for _, ch := range p.Changes {
				addr := string(ch.Addr)
				var paths []string
				for _, d := range ch.Diffs {
					paths = append(paths, string(d.Path))
				}
				switch {
				case leftOut[addr]:
					// Not in the template: made by bootstrap.
				case hasPrefix(addr, motoGaps.created):
					if ch.Action != engine.Create && ch.Action != engine.NoOp {
						t.Errorf("%s: %s, want create (moto does not deploy it)", addr, ch.Action)
					}
				case strings.HasPrefix(addr, "s3_bucket."):
					for _, path := range paths {
						if !hasPrefix(path, motoGaps.bucketDiff) {
							t.Errorf("%s: the template's bucket differs from awsboot's in %s", addr, path)
						}
					}
				default:
					if ch.Action != engine.NoOp {
						t.Errorf("%s: %s %v: the template made it differently", addr, ch.Action, paths)
					}
				}
			}
			if err := st.Apply(ctx, p, engine.Executor{Parallelism: 4}); err != nil {
				t.Fatalf("bootstrap after the stack: %v", err)
			}
			if _, p := plan(engine.ModeApply); p.HasChanges() {
				t.Errorf("after bootstrap the plan still has changes: %v", p.Changes)
			}

			// Teardown leaves what the template made, and what it needs
			// (the provider awsboot made, which the stack's role trusts);
			// a second teardown has nothing to do.
			st, p = plan(engine.ModeDestroy)
			inTemplate := templateAddresses(st, leftOut)
			for _, ch := range p.Changes {
				if inTemplate[string(ch.Addr)] && ch.Action == engine.Delete {
					t.Errorf("teardown deletes %s, which CloudFormation stack %s manages", ch.Addr, stackName)
				}
				if strings.HasPrefix(string(ch.Addr), "iam_access_key.") && ch.Action != engine.Delete {
					t.Errorf("teardown keeps %s (%s): the key is awsboot's, not the template's", ch.Addr, ch.Reason)
				}
			}
			if err := st.Apply(ctx, p, engine.Executor{Parallelism: 4}); err != nil {
				t.Fatalf("teardown: %v", err)
			}
			if _, p := plan(engine.ModeDestroy); p.HasChanges() {
				t.Errorf("a second teardown still has changes: %v", p.Changes)
			}
		})
	}
}

func hasPrefix(s string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s, p) })
}

// templateAddresses are the addresses of the objects the template holds
// (every resource of the graph but those it left out).
func templateAddresses(st *provision.Stack, leftOut map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, r := range st.Graph.Resources() {
		if !leftOut[string(r.Addr())] {
			out[string(r.Addr())] = true
		}
	}
	return out
}
