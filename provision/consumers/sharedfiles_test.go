package consumers

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRealWorldSharedFiles reads each file of testdata/sharedfiles as
// both the credentials and the config file, with awsboot and with
// aws-sdk-go-v2/config, and checks the expected outcome of each: awsboot
// reads what the SDK resolves, or refuses the file as ambiguous.
func TestRealWorldSharedFiles(t *testing.T) {
	want := map[string]string{ // file -> "same" or "refused"
		"mixed.ini": "same", "quoted.ini": "same", "inline-comments.ini": "same", "crlf.ini": "same", "bom.ini": "refused",
		"upper-keys.ini": "same", "spaced-header.ini": "same", "duplicate-key.ini": "refused", "duplicate-section.ini": "refused",
		"sso-config.ini": "same", "tab-continuation.ini": "same", "colon.ini": "same",
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "sharedfiles", "*.ini"))
	if len(files) != len(want) {
		t.Errorf("%d files, %d expectations", len(files), len(want))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			creds, cfg := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
			for _, p := range []string{creds, cfg} {
				if err := os.WriteFile(p, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			id, secret, region, refused, err := awsbootView("ci", cfg, creds)
			if err != nil && !errors.Is(err, ErrAmbiguousProfile) {
				t.Fatal(err)
			}
			if want[name] == "refused" {
				if !refused {
					t.Errorf("awsboot reads %q/%q, want it refused as ambiguous", id, secret)
				}
				return
			}
			if refused {
				t.Fatalf("refused, want the SDK's view")
			}
			sid, ssecret, sregion, ok := sdkView(t, "ci", cfg, creds)
			if !ok {
				t.Fatalf("the SDK cannot load it")
			}
			if id != sid || secret != ssecret || region != "" && region != sregion {
				t.Errorf("awsboot reads %q/%q/%q, the SDK %q/%q/%q", id, secret, region, sid, ssecret, sregion)
			}
		})
	}
}
