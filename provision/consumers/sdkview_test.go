package consumers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/awsboot/awsboot/provision/localfile"
)

// sdkView is what aws-sdk-go-v2/config resolves for profile from the two
// files: its key id, secret and region, and whether it exists.
func sdkView(t testing.TB, profile, configPath, credsPath string) (id, secret, region string, ok bool) {
	// The SDK's INI parser panics on some inputs (a value of one double
	// quote); awsboot's CheckProfiles turns that into an error.
	defer func() {
		if recover() != nil {
			id, secret, region, ok = "", "", "", false
		}
	}()
	sc, err := config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = []string{configPath}, []string{credsPath}
	})
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return "", "", "", false
	}
	if err != nil {
		return "", "", "", false
	}
	return sc.Credentials.AccessKeyID, sc.Credentials.SecretAccessKey, sc.Region, true
}

// awsbootView is what awsboot reads of the same profile: the key from the
// credentials file (CredentialsProfile) and the region from the config
// file's section (AWSProfile's sectionIn). refused is true when awsboot
// refuses the files as ambiguous, which is allowed.
func awsbootView(profile, configPath, credsPath string) (id, secret, region string, refused bool, err error) {
	key, err := NewCredentialsProfile(localfile.OS{}, "s", credsPath, profile).Load()
	if errors.Is(err, ErrAmbiguousProfile) {
		return "", "", "", true, nil
	}
	if err != nil {
		return "", "", "", false, err
	}
	data, _, err := localfile.ReadFileIfExists(configPath)
	if err != nil {
		return "", "", "", false, err
	}
	f := localfile.ParseINI(data)
	p := NewAWSProfile(AWSProfileConfig{Profile: profile, Path: configPath})
	section, err := p.sectionIn(f)
	if errors.Is(err, ErrAmbiguousProfile) {
		return "", "", "", true, nil
	}
	region, _ = f.Get(section, "region")
	return key.ID, key.Secret.Reveal(), region, false, nil
}

// FuzzProfileViewMatchesSDK is the differential test of awsboot's reading
// of the shared files: for any credentials and config content, the key id,
// secret and region awsboot reads for a profile are what
// aws-sdk-go-v2/config resolves, unless awsboot refuses the files as
// ambiguous. Seeds are real-world shapes (testdata/sharedfiles).
func FuzzProfileViewMatchesSDK(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "sharedfiles", "*.ini"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, data)
	}
	f.Add([]byte("[ci]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n"), []byte("[profile ci]\nregion = eu-west-1\n"))
	f.Fuzz(func(t *testing.T, creds, cfg []byte) {
		dir := t.TempDir()
		credsPath, configPath := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
		if err := os.WriteFile(credsPath, creds, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(configPath, cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, profile := range []string{"default", "ci"} {
			id, secret, region, refused, err := awsbootView(profile, configPath, credsPath)
			if err != nil || refused {
				continue
			}
			sid, ssecret, sregion, ok := sdkView(t, profile, configPath, credsPath)
			if !ok {
				// The SDK cannot load the files, or has no such profile
				// (CheckProfiles then refuses or skips the profile).
				continue
			}
			if id != sid || secret != ssecret {
				t.Fatalf("profile %q: awsboot reads key %q/%q, the SDK %q/%q\ncredentials:\n%q\nconfig:\n%q", profile, id, secret, sid, ssecret, creds, cfg)
			}
			if region != "" && region != sregion {
				t.Fatalf("profile %q: awsboot reads region %q, the SDK %q\ncredentials:\n%q\nconfig:\n%q", profile, region, sregion, creds, cfg)
			}
		}
	})
}
