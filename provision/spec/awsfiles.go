package spec

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/awsboot/awsboot/provision/localfile"
)

// awsSharedFile names the AWS SDK's shared file that path is ("the AWS
// shared credentials file (AWS_SHARED_CREDENTIALS_FILE)"), "" when it is
// none. The files are those the SDK reads: AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE when set, and ~/.aws/config and
// ~/.aws/credentials, which other tools read whatever the variables say.
// A path is the same file when it is written the same once made
// absolute, or when both exist and are one file (a link).
func awsSharedFile(path string) string {
	type shared struct{ path, name string }
	var files []shared
	home := localfile.HomeDir()
	for _, f := range []struct{ env, def, what string }{
		{"AWS_CONFIG_FILE", "config", "the AWS shared config file"},
		{"AWS_SHARED_CREDENTIALS_FILE", "credentials", "the AWS shared credentials file"},
	} {
		if e := os.Getenv(f.env); e != "" {
			files = append(files, shared{e, f.what + " (" + f.env + ")"})
			if home != "" && (e == "~" || strings.HasPrefix(e, "~/")) {
				// The AWS CLI expands the ~ that the Go SDK keeps.
				files = append(files, shared{filepath.Join(home, e[1:]), f.what + " (" + f.env + ")"})
			}
		}
		if home != "" {
			files = append(files, shared{filepath.Join(home, ".aws", f.def), f.what + " (~/.aws/" + f.def + ")"})
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	info, statErr := os.Stat(abs)
	for _, f := range files {
		p, err := filepath.Abs(f.path)
		if err != nil {
			p = filepath.Clean(f.path)
		}
		if p == abs {
			return f.name
		}
		if statErr == nil {
			if fi, err := os.Stat(p); err == nil && os.SameFile(info, fi) {
				return f.name
			}
		}
	}
	return ""
}
