package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// DefaultMaxAttempts is how many times awsboot tries an idempotent call
// unless AWS_MAX_ATTEMPTS or the profile's max_attempts says otherwise
// (the SDK's own default is 3; Terraform's AWS provider retries far more).
// Calls that create something new each time are never retried by the
// SDK (awskinds' noRetry).
const DefaultMaxAttempts = 5

// DefaultRetryMode is the SDK retry mode awsboot uses unless
// AWS_RETRY_MODE or the profile's retry_mode says otherwise: adaptive
// ("Retry behavior", AWS SDKs and Tools Reference Guide), standard retries
// plus client-side rate limiting after throttling errors.
const DefaultRetryMode = aws.RetryModeAdaptive

// ConnectOptions are the standard AWS settings a user may pass as flags;
// empty values leave the SDK's own resolution (environment, shared files)
// in charge.
type ConnectOptions struct {
	Profile string
	Region  string
	// Endpoint, when set, serves every API (S3, IAM, STS), whatever
	// AWS_ENDPOINT_URL_<SERVICE> or the profile's services section say.
	Endpoint string
	// IAMEndpoint serves IAM and STS when they are apart from S3.
	IAMEndpoint string
	// PathStyle forces path-style bucket addressing (default: on with a
	// custom endpoint).
	PathStyle *bool
	// ProbeManagedPolicies asks a custom endpoint's IAM whether it has
	// customer managed policies (one iam:ListPolicies call), filling
	// Account.NoManagedPolicies.
	ProbeManagedPolicies bool
	// MaxBackoff, when set, caps the SDK's wait between retries (its
	// default is 20 s); the fault tests use a few milliseconds.
	MaxBackoff time.Duration
}

// Connect loads the SDK's default configuration (credential chain,
// AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE>, AWS_CONFIG_FILE,
// AWS_SHARED_CREDENTIALS_FILE), applies the options on top, builds the
// clients with a call counter installed, and learns the Account: its ID
// and partition from sts:GetCallerIdentity (crossplane's Connect, apart
// from Observe). It fails without a region or working credentials.
func Connect(ctx context.Context, o ConnectOptions) (*Clients, error) {
	counter := NewCallCounter()
	var lo []func(*config.LoadOptions) error
	if o.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		lo = append(lo, config.WithRegion(o.Region))
	}
	if o.Endpoint != "" {
		lo = append(lo, config.WithBaseEndpoint(o.Endpoint))
	}
	lo = append(lo, config.WithAPIOptions([]func(*middleware.Stack) error{counter.install}))
	if o.MaxBackoff > 0 {
		lo = append(lo, config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) { so.MaxBackoff = o.MaxBackoff })
		}))
	}
	cfg, err := loadDefaultConfig(ctx, lo)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set region in the spec, --region, AWS_REGION (or AWS_DEFAULT_REGION) or the profile's region")
	}
	if cfg.RetryMaxAttempts == 0 {
		// Neither AWS_MAX_ATTEMPTS nor the profile's max_attempts is
		// set: retry each idempotent call up to DefaultMaxAttempts times
		// rather than the SDK's 3, so a run survives a throttled burst.
		cfg.RetryMaxAttempts = DefaultMaxAttempts
	}
	if cfg.RetryMode == "" && cfg.Retryer == nil {
		// Neither AWS_RETRY_MODE nor the profile's retry_mode is set:
		// use the SDK's adaptive mode, whose client-side rate limiter
		// slows every request of the run down once IAM throttles, so a
		// high --parallelism waits instead of failing.
		cfg.RetryMode = DefaultRetryMode
	}
	ep := resolveEndpoints(cfg, o)
	// Custom endpoints (moto, MinIO, gateways) rarely serve
	// virtual-hosted bucket names.
	pathStyle := ep.s3 != ""
	if o.PathStyle != nil {
		pathStyle = *o.PathStyle
	}
	c := &Clients{
		Account:     Account{Region: cfg.Region, Endpoint: ep.s3, IAMEndpoint: ep.iam, PathStyle: pathStyle},
		Calls:       counter,
		base:        cfg,
		stsEndpoint: ep.sts,
	}
	// Every client gets its endpoint explicitly: the SDK would otherwise
	// let AWS_ENDPOINT_URL_<SERVICE> override --endpoint-url.
	c.S3 = s3.NewFromConfig(cfg, c.s3Options)
	c.IAM = iam.NewFromConfig(cfg, func(io *iam.Options) {
		if ep.iam != "" {
			io.BaseEndpoint = aws.String(ep.iam)
		}
	})
	c.STS = sts.NewFromConfig(cfg, c.stsOptions)
	// Resolve the credentials first: a machine with none should hear so,
	// not read the credential chain's last failure.
	if cfg.Credentials == nil {
		return nil, ErrNoCredentials
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrNoCredentials, lastCause(err))
	}
	// The probe needs only the credentials, not the account: it goes
	// out with GetCallerIdentity, one round trip for both.
	probe := make(chan error, 1)
	if o.ProbeManagedPolicies && c.Account.IAMEndpoint != "" {
		go func() {
			_, err := c.IAM.ListPolicies(ctx, &iam.ListPoliciesInput{MaxItems: aws.Int32(1), Scope: iamtypes.PolicyScopeTypeLocal})
			probe <- err
		}()
	} else {
		close(probe)
	}
	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	perr, probed := <-probe
	if err != nil {
		return nil, explainConnectError(err, ep.sts)
	}
	c.Account.ID = aws.ToString(id.Account)
	c.CallerARN = aws.ToString(id.Arn)
	c.Account.Partition = partitionOfARN(c.CallerARN)
	if probed {
		switch {
		case perr == nil:
		case NotImplemented(perr):
			c.Account.NoManagedPolicies = true
		default:
			return nil, fmt.Errorf("checking whether the service has managed IAM policies: %w", perr)
		}
	}
	return c, nil
}

// endpoints are where the S3, IAM and STS calls go, "" for AWS.
type endpoints struct{ s3, iam, sts string }

// resolveEndpoints decides where each service's calls go. The options
// come first: Endpoint serves every service, IAMEndpoint IAM and STS.
// Otherwise each client resolves its own as the SDK does:
// AWS_ENDPOINT_URL_<SERVICE> (S3, IAM, STS), AWS_ENDPOINT_URL, the
// profile's services section, its endpoint_url; none of them under
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS. awsboot reads the result back
// from the clients rather than cfg.BaseEndpoint, which holds only the
// global setting: an S3 endpoint given for S3 alone must also count as
// custom (path-style addressing, the plan's notes, the written profile).
func resolveEndpoints(cfg aws.Config, o ConnectOptions) endpoints {
	if o.Endpoint != "" {
		e := endpoints{o.Endpoint, o.Endpoint, o.Endpoint}
		if o.IAMEndpoint != "" {
			e.iam, e.sts = o.IAMEndpoint, o.IAMEndpoint
		}
		return e
	}
	e := endpoints{
		s3:  aws.ToString(s3.NewFromConfig(cfg).Options().BaseEndpoint),
		iam: aws.ToString(iam.NewFromConfig(cfg).Options().BaseEndpoint),
		sts: aws.ToString(sts.NewFromConfig(cfg).Options().BaseEndpoint),
	}
	if o.IAMEndpoint != "" {
		e.iam, e.sts = o.IAMEndpoint, o.IAMEndpoint
	}
	return e
}

// partitionOfARN is the partition of an ARN ("aws" when unknown).
func partitionOfARN(arn string) string {
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

// ErrNoCredentials is returned by Connect when the default credential
// chain finds no credentials at all.
var ErrNoCredentials = errors.New("no AWS credentials found: set AWS_PROFILE (or --profile) to a profile of ~/.aws, " +
	"or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`")

// ErrCredentialsRefused is returned by Connect when AWS refuses the
// credentials it found.
var ErrCredentialsRefused = errors.New("AWS refused the credentials")

// ErrEndpointUnreachable is returned by Connect when no answer came.
var ErrEndpointUnreachable = errors.New("cannot reach the AWS endpoint")

// ErrNoIAMAPI is returned by Connect when a custom endpoint does not
// answer STS's GetCallerIdentity.
var ErrNoIAMAPI = errors.New("the endpoint does not serve the STS and IAM APIs awsboot needs")

// explainConnectError turns sts:GetCallerIdentity's failure into one line
// that says what is wrong and what to do; endpoint is where STS was asked
// ("" for AWS).
func explainConnectError(err error, endpoint string) error {
	var ne net.Error
	var dns *net.DNSError
	where := "AWS"
	if endpoint != "" {
		where = endpoint
	}
	code := ErrorCode(err)
	switch {
	// GetCallerIdentity needs no permission: a 403 always means the
	// credentials themselves were refused.
	case code == "InvalidClientTokenId", code == "SignatureDoesNotMatch", code == "ExpiredToken", code == "InvalidAccessKeyId",
		code == "UnrecognizedClientException", code == "AuthFailure", code == "AccessDenied", HTTPStatus(err) == 403:
		if code == "" || code == "UnknownError" {
			code = "HTTP 403"
		}
		return fmt.Errorf("%w (%s): the access key is wrong, deleted or expired, or its session token is missing; check which profile or variables awsboot used (AWS_PROFILE, --profile, AWS_ACCESS_KEY_ID)", ErrCredentialsRefused, code)
	case errors.As(err, &dns), errors.As(err, &ne):
		return fmt.Errorf("%w %s (%s): check --endpoint-url, AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_STS) and the network", ErrEndpointUnreachable, where, lastCause(err))
	case endpoint != "" && (NotImplemented(err) || HTTPStatus(err) == 404 || HTTPStatus(err) == 405 || code == "InvalidAction"):
		return fmt.Errorf("%w: %s answered sts:GetCallerIdentity with %s; if the service serves IAM and STS on another address, set iam_endpoint in the spec", ErrNoIAMAPI, where, lastCause(err))
	}
	return fmt.Errorf("checking AWS credentials (sts:GetCallerIdentity): %w", err)
}

// lastCause is the innermost message of an error chain, the part a person
// can act on ("connection refused", "no EC2 IMDS role found").
func lastCause(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	return err.Error()
}

// loadDefaultConfig is config.LoadDefaultConfig with its panics turned
// into an error: the SDK's INI parser panics on a shared-file value that
// is one double quote.
func loadDefaultConfig(ctx context.Context, lo []func(*config.LoadOptions) error) (cfg aws.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the AWS SDK for Go cannot parse the shared config or credentials file (it fails with %v): look for a value that is a lone double quote", r)
		}
	}()
	return config.LoadDefaultConfig(ctx, lo...)
}
