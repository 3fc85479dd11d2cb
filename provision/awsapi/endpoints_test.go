package awsapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// endpointVars are the variables that choose endpoints.
var endpointVars = []string{
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
}

// isolateEndpoints is isolate with every endpoint variable unset: set
// but empty, AWS_ENDPOINT_URL changes how the SDK reads the others.
func isolateEndpoints(t *testing.T, vars map[string]string) {
	t.Helper()
	isolate(t, "AKIAEXAMPLE", "secret")
	for _, v := range endpointVars {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

// TestResolveEndpoints: an endpoint given for one service counts, as the
// SDK resolves it, and the options beat every variable.
func TestResolveEndpoints(t *testing.T) {
	const g, s, i, st, x, y = "http://global", "http://s3", "http://iam", "http://sts", "http://option", "http://option-iam"
	for name, tc := range map[string]struct {
		vars   map[string]string
		config string
		o      ConnectOptions
		want   endpoints
	}{
		"AWS":                                {want: endpoints{}},
		"AWS_ENDPOINT_URL":                   {vars: map[string]string{"AWS_ENDPOINT_URL": g}, want: endpoints{g, g, g}},
		"AWS_ENDPOINT_URL_S3 alone":          {vars: map[string]string{"AWS_ENDPOINT_URL_S3": s}, want: endpoints{s3: s}},
		"AWS_ENDPOINT_URL_S3 over the other": {vars: map[string]string{"AWS_ENDPOINT_URL": g, "AWS_ENDPOINT_URL_S3": s}, want: endpoints{s, g, g}},
		"IAM and STS apart": {
			vars: map[string]string{"AWS_ENDPOINT_URL_IAM": i, "AWS_ENDPOINT_URL_STS": st},
			want: endpoints{iam: i, sts: st},
		},
		"--endpoint-url beats AWS_ENDPOINT_URL_S3": {
			vars: map[string]string{"AWS_ENDPOINT_URL_S3": s, "AWS_ENDPOINT_URL_IAM": i}, o: ConnectOptions{Endpoint: x},
			want: endpoints{x, x, x},
		},
		"iam_endpoint": {
			vars: map[string]string{"AWS_ENDPOINT_URL_STS": st}, o: ConnectOptions{Endpoint: x, IAMEndpoint: y},
			want: endpoints{x, y, y},
		},
		"the profile's services section": {
			config: "[default]\nservices = local\n[services local]\ns3 =\n  endpoint_url = " + s + "\n",
			want:   endpoints{s3: s},
		},
		"AWS_ENDPOINT_URL over the profile's services section": {
			vars:   map[string]string{"AWS_ENDPOINT_URL": g},
			config: "[default]\nservices = local\n[services local]\ns3 =\n  endpoint_url = " + s + "\n",
			want:   endpoints{g, g, g},
		},
		"the profile's endpoint_url": {
			config: "[default]\nendpoint_url = " + g + "\n",
			want:   endpoints{g, g, g},
		},
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": {
			vars: map[string]string{"AWS_ENDPOINT_URL_S3": s, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
			want: endpoints{},
		},
	} {
		t.Run(name, func(t *testing.T) {
			isolateEndpoints(t, tc.vars)
			if tc.config != "" {
				if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var lo []func(*config.LoadOptions) error
			if tc.o.Endpoint != "" {
				lo = append(lo, config.WithBaseEndpoint(tc.o.Endpoint))
			}
			cfg, err := loadDefaultConfig(context.Background(), lo)
			if err != nil {
				t.Fatal(err)
			}
			if got := resolveEndpoints(cfg, tc.o); got != tc.want {
				t.Errorf("resolveEndpoints = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestConnectServiceEndpoints: with AWS_ENDPOINT_URL_S3 alone the account
// counts as custom (path-style, the endpoint the profile records), and
// every client goes where Connect decided.
func TestConnectServiceEndpoints(t *testing.T) {
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
			`<Arn>arn:aws:iam::123456789012:user/admin</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>` +
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	}))
	defer sts.Close()
	const s3URL, iamURL = "http://127.0.0.1:9/s3", "http://127.0.0.1:9/iam"

	t.Run("AWS_ENDPOINT_URL_S3", func(t *testing.T) {
		isolateEndpoints(t, map[string]string{"AWS_ENDPOINT_URL_S3": s3URL, "AWS_ENDPOINT_URL_IAM": iamURL, "AWS_ENDPOINT_URL_STS": sts.URL})
		c, err := Connect(context.Background(), ConnectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := Account{ID: "123456789012", Partition: "aws", Region: "us-east-1", Endpoint: s3URL, IAMEndpoint: iamURL, PathStyle: true}
		if c.Account != want || !c.Account.Custom() {
			t.Errorf("Account = %+v, want %+v (custom)", c.Account, want)
		}
		if got := c.S3.(*s3.Client).Options(); aws.ToString(got.BaseEndpoint) != s3URL || !got.UsePathStyle {
			t.Errorf("S3 client: endpoint %q, path style %v", aws.ToString(got.BaseEndpoint), got.UsePathStyle)
		}
		if got := aws.ToString(c.S3With(nil, 1).Options().BaseEndpoint); got != s3URL {
			t.Errorf("S3With endpoint %q, want %q", got, s3URL)
		}
		if got := aws.ToString(c.IAM.(*iam.Client).Options().BaseEndpoint); got != iamURL {
			t.Errorf("IAM endpoint %q, want %q", got, iamURL)
		}
		if got := aws.ToString(c.STSClient().Options().BaseEndpoint); got != sts.URL {
			t.Errorf("STS endpoint %q, want %q", got, sts.URL)
		}
	})

	t.Run("--endpoint-url beats AWS_ENDPOINT_URL_S3", func(t *testing.T) {
		isolateEndpoints(t, map[string]string{"AWS_ENDPOINT_URL_S3": s3URL, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9/sts"})
		c, err := Connect(context.Background(), ConnectOptions{Endpoint: sts.URL})
		if err != nil {
			t.Fatal(err)
		}
		if c.Account.Endpoint != sts.URL || aws.ToString(c.S3.(*s3.Client).Options().BaseEndpoint) != sts.URL {
			t.Errorf("Account.Endpoint %q, S3 client %q; want %q", c.Account.Endpoint, aws.ToString(c.S3.(*s3.Client).Options().BaseEndpoint), sts.URL)
		}
	})

	t.Run("AWS_ENDPOINT_URL_STS alone is not an S3-compatible service", func(t *testing.T) {
		isolateEndpoints(t, map[string]string{"AWS_ENDPOINT_URL_STS": sts.URL})
		c, err := Connect(context.Background(), ConnectOptions{ProbeManagedPolicies: true})
		if err != nil {
			t.Fatal(err)
		}
		if c.Account.Custom() || c.Account.PathStyle || c.Account.NoManagedPolicies {
			t.Errorf("Account = %+v, want AWS", c.Account)
		}
	})

	t.Run("AWS_DEFAULT_REGION", func(t *testing.T) {
		isolateEndpoints(t, map[string]string{"AWS_ENDPOINT_URL": sts.URL, "AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-1"})
		c, err := Connect(context.Background(), ConnectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Account.Region != "eu-west-1" {
			t.Errorf("region %q, want AWS_DEFAULT_REGION's eu-west-1", c.Account.Region)
		}
		t.Setenv("AWS_REGION", "us-west-2")
		if c, err = Connect(context.Background(), ConnectOptions{}); err != nil || c.Account.Region != "us-west-2" {
			t.Errorf("with AWS_REGION too: region %q (%v), want us-west-2", c.Account.Region, err)
		}
	})
}
