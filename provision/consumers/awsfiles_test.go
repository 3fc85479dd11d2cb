package consumers

import (
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
)

// TestDefaultAWSFilesAreTheSDKs: awsboot writes profiles where
// aws-sdk-go-v2/config reads them, with HOME set and unset, and refuses a
// leading ~ that the tools read differently.
func TestDefaultAWSFilesAreTheSDKs(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "")
	for name, home := range map[string]string{"HOME set": t.TempDir(), "HOME unset": ""} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("HOME", home)
			f, err := DefaultAWSFiles()
			if err != nil {
				t.Fatal(err)
			}
			if f.Config != config.DefaultSharedConfigFilename() || f.Credentials != config.DefaultSharedCredentialsFilename() {
				t.Errorf("awsboot %+v, the SDK %s and %s", f, config.DefaultSharedConfigFilename(), config.DefaultSharedCredentialsFilename())
			}
			if home == "" {
				if u, err := user.Current(); err == nil && f.Credentials != filepath.Join(u.HomeDir, ".aws", "credentials") {
					t.Errorf("without HOME: %s, want the user's home", f.Credentials)
				}
			}
		})
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/ci-credentials")
	if _, err := DefaultAWSFiles(); err == nil || !strings.Contains(err.Error(), `AWS_SHARED_CREDENTIALS_FILE is "~/.aws/ci-credentials"`) ||
		!strings.Contains(err.Error(), "AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/ci-credentials") {
		t.Errorf("a literal ~: %v", err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/etc/ci/credentials")
	t.Setenv("AWS_CONFIG_FILE", "/etc/ci/config")
	if f, err := DefaultAWSFiles(); err != nil || f.Credentials != "/etc/ci/credentials" || f.Config != "/etc/ci/config" {
		t.Errorf("explicit files: %+v, %v", f, err)
	}
}
