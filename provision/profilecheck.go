package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/localfile"
)

// ErrProfileMismatch is returned when the AWS SDK resolves a profile
// awsboot wrote to something other than what awsboot meant.
var ErrProfileMismatch = errors.New("the AWS SDK resolves the profile differently")

// CheckProfiles loads every profile the stack writes through
// aws-sdk-go-v2/config, from the same files, as the tools will, and
// checks that it resolves to exactly what awsboot meant: the access key
// awsboot reads back from the credentials profile (id and secret), or
// the role and token file; the stack's region; its endpoint. A profile
// not written yet is skipped. The secret is compared, never shown.
//
// Each profile is loaded by the SDK from the sections of the files that
// can make it, or from the whole files where that could differ
// (profileLoader): the SDK parses the whole files once per call, not once
// per profile.
func (st *Stack) CheckProfiles(ctx context.Context, files consumers.AWSFiles) error {
	var errs []error
	// Through the stack's closed gate, the credentials file is parsed once
	// for all the profiles.
	var fs localfile.System = localfile.OS{}
	if st.gate != nil {
		fs = st.gate
	}
	var loader *profileLoader
	for _, a := range st.Spec.Access {
		profile := a.Write[consumers.KeyAWSProfile]
		if profile == "" {
			continue
		}
		if loader == nil {
			loader = newProfileLoader(ctx, files)
		}
		sc, err := loader.load(ctx, profile)
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("profile %q: the AWS SDK cannot load it from %s and %s: %w", profile, files.Config, files.Credentials, err))
			continue
		}
		mismatch := func(what, got, want string) {
			errs = append(errs, fmt.Errorf("profile %q: the AWS SDK resolves %s %q, awsboot wrote %q: %w; check %s and %s for another definition of the profile",
				profile, what, got, want, ErrProfileMismatch, files.Config, files.Credentials))
		}
		if sc.Region != st.Account.Region {
			mismatch("region", sc.Region, st.Account.Region)
		}
		if sc.BaseEndpoint != st.Account.Endpoint {
			mismatch("endpoint_url", sc.BaseEndpoint, st.Account.Endpoint)
		}
		if a.Role != "" {
			if want := st.Account.IAMARN("role/" + a.Role); sc.RoleARN != want {
				mismatch("role_arn", sc.RoleARN, want)
			}
			continue
		}
		key, err := consumers.NewCredentialsProfile(fs, st.Spec.Stack, files.Credentials, profile).Load()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if key.ID == "" {
			continue
		}
		if sc.Credentials.AccessKeyID != key.ID {
			mismatch("aws_access_key_id", sc.Credentials.AccessKeyID, key.ID)
		}
		if sc.Credentials.SecretAccessKey != key.Secret.Reveal() {
			mismatch("aws_secret_access_key", "(sensitive value)", "(another sensitive value)")
		}
	}
	return errors.Join(errs...)
}
