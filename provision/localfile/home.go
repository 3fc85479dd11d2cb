package localfile

import (
	"os"
	"os/user"
)

// HomeDir is the home directory as the AWS SDK for Go finds it: $HOME,
// else the user database's entry (aws-sdk-go-v2
// internal/shareddefaults.UserHomeDir); "" when there is none. awsboot
// uses it for ~/.aws and for "~" in spec paths, so both mean the same
// directory the tools read.
func HomeDir() string {
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return home
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return ""
}
