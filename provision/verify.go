package provision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// Check is one line of `awsboot verify`.
type Check struct {
	Access string `json:"access"`
	Check  string `json:"check"`
	// Result is ok, FAIL, skip (a refusal the service cannot show) or
	// NOT CHECKED (nothing could be proven for the entry).
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

// NotChecked is the Result of an access entry verify could prove nothing
// for (no credentials to act with): never to be read as a pass.
const NotChecked = "NOT CHECKED"

// Unchecked lists the access entries with a NOT CHECKED line.
func Unchecked(checks []Check) []string {
	var out []string
	for _, c := range checks {
		if c.Result == NotChecked {
			out = append(out, c.Access)
		}
	}
	return out
}

// VerifyOptions steer Verify.
type VerifyOptions struct {
	// TokenFile holds a pipeline's OIDC token to assume each role with
	// (--web-identity-token-file); "" uses the entry's
	// write.web_identity_token_file, if any.
	TokenFile string
}

// Failed reports whether any check failed.
func Failed(checks []Check) bool {
	for _, c := range checks {
		if c.Result == "FAIL" {
			return true
		}
	}
	return false
}

// Verify proves, for each access entry and with only the credentials
// awsboot wrote for it, that every granted action works on a probe object
// under the entry's prefix, that a presigned GET made with them can be
// fetched over plain HTTP, and (when the service enforces IAM) that
// actions outside the grant are refused. Probe objects are removed with
// awsboot's own identity, since a grant may not include DeleteObject.
//
// An entry without credentials to act with (role access without a token)
// gets one NOT CHECKED line, which the CLI does not count as a pass.
func Verify(ctx context.Context, c *awsapi.Clients, s *spec.Spec, files consumers.AWSFiles, o VerifyOptions) ([]Check, error) {
	s = s.ForAccount(c.Account.ID)
	enforced, err := enforcesIAM(ctx, c, s.Bucket.Name)
	if err != nil {
		return nil, err
	}
	var out []Check
	for _, a := range s.Access {
		v := &verifier{c: c, s: s, a: a, enforced: enforced, tokenFile: o.TokenFile}
		creds, why := v.credentials(ctx, files)
		if creds == nil {
			out = append(out, Check{Access: a.Name, Check: "credentials", Result: NotChecked, Detail: why})
			continue
		}
		v.s3 = c.S3With(creds, 0)
		out = append(out, v.run(ctx)...)
	}
	return out, nil
}

// enforcesIAM asks the service to list the bucket with a made-up key: a
// service that answers has no authentication to test against, and the
// "refused" checks are skipped rather than reported as failures.
func enforcesIAM(ctx context.Context, c *awsapi.Clients, bucket string) (bool, error) {
	cl := c.S3With(awsapi.StaticCredentials("AKIAAWSBOOTVERIFY000", engine.NewSecret("awsboot-verify-not-a-secret")), 1)
	_, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)})
	if err == nil {
		return false, nil
	}
	if s := awsapi.HTTPStatus(err); s == http.StatusForbidden || s == http.StatusUnauthorized || s == http.StatusBadRequest {
		return true, nil
	}
	return false, fmt.Errorf("checking whether the service enforces IAM: %w", err)
}

type verifier struct {
	tokenFile string
	c         *awsapi.Clients
	s         *spec.Spec
	a         spec.Access
	s3        *s3.Client
	enforced  bool
	checks    []Check
}

// credentials returns the entry's own credentials: the key in its profile
// of the credentials file, or a session of its role from the web identity
// token file awsboot wrote the profile for.
func (v *verifier) credentials(ctx context.Context, files consumers.AWSFiles) (aws.CredentialsProvider, string) {
	a := v.a
	if a.User != "" {
		profile := a.Write[consumers.KeyAWSProfile]
		key, err := consumers.NewCredentialsProfile(localfile.OS{}, v.s.Stack, files.Credentials, profile).Load()
		if err != nil {
			return nil, err.Error()
		}
		if key.ID == "" || key.Secret.IsZero() {
			return nil, fmt.Sprintf("no key in profile %q of %s: run bootstrap first", profile, files.Credentials)
		}
		return awsapi.StaticCredentials(key.ID, key.Secret), ""
	}
	token := v.tokenFile
	if token == "" && a.Write[consumers.KeyWebIdentityTokenFile] != "" {
		token = v.s.Path(a.Write[consumers.KeyWebIdentityTokenFile])
	}
	if token == "" {
		return nil, "role access: assuming the role needs a pipeline's OIDC token; run verify where one is, with --web-identity-token-file FILE"
	}
	role := v.c.Account.IAMARN("role/" + a.Role)
	p := stscreds.NewWebIdentityRoleProvider(v.c.STSClient(), role, stscreds.IdentityTokenFile(token),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "awsboot-verify" })
	if _, err := p.Retrieve(ctx); err != nil {
		return nil, fmt.Sprintf("assuming %s with the token file failed: %v", role, err)
	}
	return aws.NewCredentialsCache(p), ""
}

func (v *verifier) add(check string, err error, wantDenied bool) {
	c := Check{Access: v.a.Name, Check: check, Result: "ok"}
	switch {
	case wantDenied && !v.enforced:
		c.Result, c.Detail = "skip", "the service does not enforce IAM"
	case wantDenied && err == nil:
		c.Result, c.Detail = "FAIL", "allowed, but it is outside the grant"
	case wantDenied && !isDenied(err):
		c.Result, c.Detail = "FAIL", "expected access denied, got: "+oneLine(err)
	case !wantDenied && err != nil:
		c.Result, c.Detail = "FAIL", oneLine(err)
	}
	v.checks = append(v.checks, c)
}

func isDenied(err error) bool {
	if code := awsapi.ErrorCode(err); code == "AccessDenied" || code == "AllAccessDisabled" {
		return true
	}
	return awsapi.HTTPStatus(err) == http.StatusForbidden
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "api error "); i >= 0 {
		s = s[i+len("api error "):]
	}
	return strings.ReplaceAll(s, "\n", " ")
}

func (v *verifier) run(ctx context.Context) []Check {
	bucket := aws.String(v.s.Bucket.Name)
	prefix := strings.TrimSuffix(v.a.Prefix, "/")
	if prefix == "" {
		prefix = "awsboot-verify"
	}
	key := prefix + "/awsboot-verify-" + randomHex() + ".txt"
	body := "awsboot verify " + time.Now().UTC().Format(time.RFC3339)
	grant := v.a.Grant
	// Checks name the probe <probe> so the table reads the same every run.
	loc := v.s.Bucket.Name + "/" + prefix + "/<probe>"
	probes := []string{key}
	defer func() { v.cleanup(ctx, probes) }()

	_, err := v.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: strings.NewReader(body)})
	v.add("s3:PutObject "+loc, err, false)
	if err != nil {
		return v.checks
	}
	got, err := v.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(key)})
	if err == nil {
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if string(b) != body {
			err = fmt.Errorf("read back %d bytes that differ from what was written", len(b))
		}
	}
	v.add("s3:GetObject "+loc, err, false)

	expiry, shown := 15*time.Minute, "15m"
	if d, perr := time.ParseDuration(v.a.PresignExpiry); perr == nil && d > 0 {
		expiry, shown = d, v.a.PresignExpiry
	}
	v.add("presigned GET of "+loc+" (expires in "+shown+") over plain HTTP", v.presignedGet(ctx, key, body, expiry), false)

	in := &s3.ListObjectsV2Input{Bucket: bucket, MaxKeys: aws.Int32(10)}
	listCheck := "s3:ListBucket " + v.s.Bucket.Name
	if v.a.Prefix != "" {
		in.Prefix = aws.String(prefix + "/")
		listCheck += " prefix " + prefix + "/"
	}
	list := func() error {
		_, err := v.s3.ListObjectsV2(ctx, in)
		return err
	}
	if grant == "cache" {
		v.add(listCheck, list(), false)
	} else {
		v.refused(listCheck, list)
	}

	// DeleteBucket cannot succeed while the probe object is in the
	// bucket, so this check never deletes anything even if allowed.
	v.refused("s3:DeleteBucket "+v.s.Bucket.Name, func() error {
		_, err := v.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket})
		if awsapi.ErrorCode(err) == "BucketNotEmpty" {
			return nil // the service let the call through: the action is allowed
		}
		return err
	})

	if v.a.Prefix != "" {
		outside := "awsboot-verify-outside-" + randomHex() + "/probe.txt"
		probes = append(probes, outside)
		v.refused("s3:PutObject "+v.s.Bucket.Name+"/<outside the prefix>", func() error {
			_, err := v.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(outside), Body: strings.NewReader(body)})
			return err
		})
	}

	del := func() error {
		_, err := v.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String(key)})
		return err
	}
	if grant == "cache" {
		v.add("s3:DeleteObject "+loc, del(), false)
	} else {
		v.refused("s3:DeleteObject "+loc, del)
	}
	return v.checks
}

// refused runs an action that must be denied, only when the service
// enforces IAM (elsewhere it would simply succeed and prove nothing).
func (v *verifier) refused(check string, call func() error) {
	if !v.enforced {
		v.add(check, nil, true)
		return
	}
	v.add(check, call(), true)
}

// presignedGet presigns a GET with the entry's credentials and fetches it
// with a plain HTTP client, as Bacalhau's users fetch results.
func (v *verifier) presignedGet(ctx context.Context, key, body string, expiry time.Duration) error {
	req, err := s3.NewPresignClient(v.s3).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(v.s.Bucket.Name), Key: aws.String(key)}, s3.WithPresignExpires(expiry))
	if err != nil {
		return fmt.Errorf("presigning: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return fmt.Errorf("fetching the presigned URL: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the presigned URL answered %s", resp.Status)
	}
	if string(b) != body {
		return fmt.Errorf("the presigned URL returned other content")
	}
	return nil
}

// cleanup removes the probe objects, every version of them, with
// awsboot's own identity.
func (v *verifier) cleanup(ctx context.Context, keys []string) {
	bucket := aws.String(v.s.Bucket.Name)
	for _, k := range keys {
		ids := []s3types.ObjectIdentifier{{Key: aws.String(k)}}
		if out, err := v.c.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bucket, Prefix: aws.String(k)}); err == nil {
			for _, ver := range out.Versions {
				if aws.ToString(ver.Key) == k && ver.VersionId != nil && aws.ToString(ver.VersionId) != "null" {
					ids = append(ids, s3types.ObjectIdentifier{Key: aws.String(k), VersionId: ver.VersionId})
				}
			}
			for _, m := range out.DeleteMarkers {
				if aws.ToString(m.Key) == k && m.VersionId != nil && aws.ToString(m.VersionId) != "null" {
					ids = append(ids, s3types.ObjectIdentifier{Key: aws.String(k), VersionId: m.VersionId})
				}
			}
		}
		_, _ = v.c.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
	}
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
