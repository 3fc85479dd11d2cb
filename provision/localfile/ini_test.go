package localfile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// iniSamples are realistic AWS config and credentials files. They are used
// by the round-trip tests and as the seed corpus of FuzzINIRoundTrip.
var iniSamples = map[string]string{
	"empty":        "",
	"only newline": "\n",
	"one profile":  "[default]\nregion = eu-west-1\noutput = json\n",
	"several profiles": `[default]
region = eu-west-1

[profile dev]
region = us-east-1
role_arn = arn:aws:iam::123456789012:role/dev
source_profile = default

[profile prod]
region=eu-central-1
`,
	"comments": `# my AWS config
; written by hand
[default]
# default region
region = eu-west-1

# prod follows
[profile prod]
region = eu-central-1
# trailing comment
`,
	"sso-session": `[profile my-sso]
sso_session = my-sso
sso_account_id = 111122223333
sso_role_name = ReadOnly

[sso-session my-sso]
sso_region = us-east-1
sso_start_url = https://my-sso-portal.awsapps.com/start
sso_registration_scopes = sso:account:access
`,
	"nested s3": `[default]
region = us-west-2
s3 =
  addressing_style = path
  max_concurrent_requests = 20
max_attempts = 3

[profile minio]
endpoint_url = http://localhost:9000
s3 =
    addressing_style = path
`,
	"crlf":                 "[default]\r\nregion = eu-west-1\r\n\r\n[profile dev]\r\nregion = us-east-1\r\n",
	"no final newline":     "[default]\nregion = eu-west-1",
	"crlf no final":        "[default]\r\nregion = eu-west-1",
	"credentials":          "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
	"trailing blank lines": "[default]\nregion = eu-west-1\n\n\n",
	"trailing spaces":      "[default]\nregion = eu-west-1  \n   \n",
	"keys before header":   "region = nowhere\n\n[default]\nregion = eu-west-1\n",
	"only comments":        "# nothing here yet\n",
	"duplicate sections":   "[default]\nregion = a\n\n[default]\nregion = b\n",
	"indented":             "  [default]\n  region = eu-west-1\n\t[profile dev]\n\tregion = us-east-1\n",
	"header comment":       "[default] # main\nregion = eu-west-1\n",
	"last header only":     "[default]\nregion = a\n\n[profile empty]\n",
}

func TestParseINIBytesIsIdentity(t *testing.T) {
	for name, data := range iniSamples {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(data, string(ParseINI([]byte(data)).Bytes())); diff != "" {
				t.Errorf("Bytes() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigSectionName(t *testing.T) {
	tests := map[string]struct {
		profile string
		want    string
	}{
		"default":     {profile: "default", want: "default"},
		"named":       {profile: "semaphore-cache", want: "profile semaphore-cache"},
		"default-ish": {profile: "defaults", want: "profile defaults"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ConfigSectionName(tc.profile)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestINIRead(t *testing.T) {
	type result struct {
		Has      bool
		Value    string
		Found    bool
		Keys     []string
		Comments []string
	}
	tests := map[string]struct {
		data    string
		section string
		key     string
		want    result
	}{
		"simple": {
			data: iniSamples["several profiles"], section: "profile dev", key: "role_arn",
			want: result{Has: true, Value: "arn:aws:iam::123456789012:role/dev", Found: true,
				Keys: []string{"region", "role_arn", "source_profile"}},
		},
		"no spaces around equals": {
			data: iniSamples["several profiles"], section: "profile prod", key: "region",
			want: result{Has: true, Value: "eu-central-1", Found: true, Keys: []string{"region"}},
		},
		"missing key": {
			data: iniSamples["one profile"], section: "default", key: "role_arn",
			want: result{Has: true, Keys: []string{"region", "output"}},
		},
		"missing section": {
			data: iniSamples["one profile"], section: "profile dev", key: "region",
		},
		"profile name needs prefix in config": {
			data: iniSamples["several profiles"], section: "dev", key: "region",
		},
		"keys are case-insensitive": {
			data: "[default]\nRegion = eu-west-1\n", section: "default", key: "REGION",
			want: result{Has: true, Value: "eu-west-1", Found: true, Keys: []string{"Region"}},
		},
		"colon delimiter": {
			data: "[default]\nregion: eu-west-1\n", section: "default", key: "region",
			want: result{Has: true, Value: "eu-west-1", Found: true, Keys: []string{"region"}},
		},
		"value with equals and colons": {
			data: iniSamples["sso-session"], section: "sso-session my-sso", key: "sso_start_url",
			want: result{Has: true, Value: "https://my-sso-portal.awsapps.com/start", Found: true,
				Keys: []string{"sso_region", "sso_start_url", "sso_registration_scopes"}},
		},
		"nested parent has empty value": {
			data: iniSamples["nested s3"], section: "default", key: "s3",
			want: result{Has: true, Value: "", Found: true, Keys: []string{"region", "s3", "max_attempts"}},
		},
		"nested keys are not top-level keys": {
			data: iniSamples["nested s3"], section: "default", key: "addressing_style",
			want: result{Has: true, Keys: []string{"region", "s3", "max_attempts"}},
		},
		"continuation lines are not keys": {
			data: "[default]\nca_bundle = a\n  output = json\n", section: "default", key: "output",
			want: result{Has: true, Keys: []string{"ca_bundle"}},
		},
		"indented keys at section start are keys": {
			data: iniSamples["indented"], section: "default", key: "region",
			want: result{Has: true, Value: "eu-west-1", Found: true, Keys: []string{"region"}},
		},
		"comments": {
			data: iniSamples["comments"], section: "default", key: "region",
			want: result{Has: true, Value: "eu-west-1", Found: true, Keys: []string{"region"},
				Comments: []string{"# default region"}},
		},
		"comments of last section run to the end": {
			data: iniSamples["comments"], section: "profile prod", key: "region",
			want: result{Has: true, Value: "eu-central-1", Found: true, Keys: []string{"region"},
				Comments: []string{"# trailing comment"}},
		},
		"semicolon comment and indented comment": {
			data:    "[default]\n; one\n  # two\nregion = a\n",
			section: "default", key: "region",
			want: result{Has: true, Value: "a", Found: true, Keys: []string{"region"},
				Comments: []string{"; one", "# two"}},
		},
		"crlf": {
			data: iniSamples["crlf"], section: "profile dev", key: "region",
			want: result{Has: true, Value: "us-east-1", Found: true, Keys: []string{"region"}},
		},
		"no final newline": {
			data: iniSamples["no final newline"], section: "default", key: "region",
			want: result{Has: true, Value: "eu-west-1", Found: true, Keys: []string{"region"}},
		},
		"duplicate sections use the first": {
			data: iniSamples["duplicate sections"], section: "default", key: "region",
			want: result{Has: true, Value: "a", Found: true, Keys: []string{"region"}},
		},
		"keys before any header are not a section": {
			data: iniSamples["keys before header"], section: "", key: "region",
		},
		"header whitespace is normalised": {
			data: "[  profile   dev ]\nregion = a\n", section: "profile dev", key: "region",
			want: result{Has: true, Value: "a", Found: true, Keys: []string{"region"}},
		},
		"header with comment": {
			data: iniSamples["header comment"], section: "default", key: "region",
			want: result{Has: true, Value: "eu-west-1", Found: true, Keys: []string{"region"}},
		},
		"not a header": {
			data: "[default] region = a\n", section: "default", key: "region",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := ParseINI([]byte(tc.data))
			var got result
			got.Has = f.HasSection(tc.section)
			got.Value, got.Found = f.Get(tc.section, tc.key)
			got.Keys = f.Keys(tc.section)
			got.Comments = f.Comments(tc.section)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestINIGetNested(t *testing.T) {
	tests := map[string]struct {
		data                 string
		section, key, subkey string
		want                 string
		wantOK               bool
	}{
		"found": {
			data: iniSamples["nested s3"], section: "default", key: "s3", subkey: "max_concurrent_requests",
			want: "20", wantOK: true,
		},
		"four spaces": {
			data: iniSamples["nested s3"], section: "profile minio", key: "s3", subkey: "addressing_style",
			want: "path", wantOK: true,
		},
		"missing subkey": {
			data: iniSamples["nested s3"], section: "default", key: "s3", subkey: "use_accelerate_endpoint",
		},
		"parent with a value": {
			data: "[default]\ns3 = x\n  addressing_style = path\n", section: "default", key: "s3", subkey: "addressing_style",
		},
		"not nested": {
			data: iniSamples["one profile"], section: "default", key: "region", subkey: "x",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := ParseINI([]byte(tc.data)).GetNested(tc.section, tc.key, tc.subkey)
			if diff := cmp.Diff(tc.want, got); diff != "" || ok != tc.wantOK {
				t.Errorf("GetNested() = %q, %v, want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestINIEdit(t *testing.T) {
	const marker = "# managed by awsboot: stack=semaphore-cache"
	tests := map[string]struct {
		data string
		edit func(f *INI)
		want string
	}{
		"set replaces value keeping key spelling": {
			data: "[default]\nRegion=eu-west-1\noutput = json\n",
			edit: func(f *INI) { f.Set("default", "region", "us-east-1") },
			want: "[default]\nRegion = us-east-1\noutput = json\n",
		},
		"set keeps indentation": {
			data: "[default]\n  region=eu-west-1\n",
			edit: func(f *INI) { f.Set("default", "region", "us-east-1") },
			want: "[default]\n  region = us-east-1\n",
		},
		"set same value leaves line untouched": {
			data: "[default]\nregion=eu-west-1   \n",
			edit: func(f *INI) { f.Set("default", "region", "eu-west-1") },
			want: "[default]\nregion=eu-west-1   \n",
		},
		"set colon delimiter": {
			data: "[default]\nregion: eu-west-1\n",
			edit: func(f *INI) { f.Set("default", "region", "us-east-1") },
			want: "[default]\nregion = us-east-1\n",
		},
		"set inserts after last non-blank line": {
			data: "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = x\n",
			edit: func(f *INI) { f.Set("default", "output", "json") },
			want: "[default]\nregion = eu-west-1\noutput = json\n\n[profile dev]\nregion = x\n",
		},
		"set inserts before comments of next section": {
			data: "[default]\nregion = a\n\n# dev profile\n[profile dev]\n",
			edit: func(f *INI) { f.Set("default", "output", "json") },
			want: "[default]\nregion = a\noutput = json\n\n# dev profile\n[profile dev]\n",
		},
		"set inserts after comments of last section": {
			data: "[default]\nregion = a\n# note\n\n",
			edit: func(f *INI) { f.Set("default", "output", "json") },
			want: "[default]\nregion = a\n# note\noutput = json\n\n",
		},
		"set inserts directly after header of empty section": {
			data: "[default]\n\n[profile dev]\n",
			edit: func(f *INI) { f.Set("default", "region", "a") },
			want: "[default]\nregion = a\n\n[profile dev]\n",
		},
		"set inserts after nested sub-section": {
			data: "[default]\ns3 =\n  addressing_style = path\n",
			edit: func(f *INI) { f.Set("default", "region", "a") },
			want: "[default]\ns3 =\n  addressing_style = path\nregion = a\n",
		},
		"set does not touch nested keys of the same name": {
			data: "[default]\ns3 =\n  addressing_style = path\n",
			edit: func(f *INI) { f.Set("default", "addressing_style", "virtual") },
			want: "[default]\ns3 =\n  addressing_style = path\naddressing_style = virtual\n",
		},
		"set on nested parent drops its sub-section": {
			data: "[default]\ns3 =\n  addressing_style = path\n\n  # c\n  use_accelerate_endpoint = true\nregion = a\n",
			edit: func(f *INI) { f.Set("default", "s3", "x") },
			want: "[default]\ns3 = x\n\n  # c\nregion = a\n",
		},
		"set into last line without final newline": {
			data: "[default]\nregion = a",
			edit: func(f *INI) { f.Set("default", "output", "json") },
			want: "[default]\nregion = a\noutput = json\n",
		},
		"replace last line without final newline keeps it so": {
			data: "[default]\nregion = a",
			edit: func(f *INI) { f.Set("default", "region", "b") },
			want: "[default]\nregion = b",
		},
		"set creates section in empty file": {
			data: "",
			edit: func(f *INI) { f.Set("profile x", "region", "a") },
			want: "[profile x]\nregion = a\n",
		},
		"set appends section after one blank line": {
			data: "[default]\nregion = a\n",
			edit: func(f *INI) { f.Set("profile x", "region", "b") },
			want: "[default]\nregion = a\n\n[profile x]\nregion = b\n",
		},
		"set appends section adding missing newline": {
			data: "[default]\nregion = a",
			edit: func(f *INI) { f.Set("profile x", "region", "b") },
			want: "[default]\nregion = a\n\n[profile x]\nregion = b\n",
		},
		"set appends section after trailing blank lines": {
			data: "[default]\nregion = a\n\n",
			edit: func(f *INI) { f.Set("profile x", "region", "b") },
			want: "[default]\nregion = a\n\n\n[profile x]\nregion = b\n",
		},
		"crlf is kept and used for new lines": {
			data: "[default]\r\nregion = a\r\n",
			edit: func(f *INI) {
				f.Set("default", "region", "b")
				f.Set("default", "output", "json")
				f.Set("profile x", "region", "c")
			},
			want: "[default]\r\nregion = b\r\noutput = json\r\n\r\n[profile x]\r\nregion = c\r\n",
		},
		"duplicate sections: the first is edited": {
			data: "[default]\nregion = a\n\n[default]\nregion = b\noutput = json\n",
			edit: func(f *INI) {
				f.Set("default", "region", "c")
				f.Set("default", "output", "text")
			},
			want: "[default]\nregion = c\noutput = text\n\n[default]\nregion = b\noutput = json\n",
		},
		"keys before any header are left alone": {
			data: "region = top\n\n[default]\n",
			edit: func(f *INI) { f.Set("default", "region", "a") },
			want: "region = top\n\n[default]\nregion = a\n",
		},
		"empty section name is ignored": {
			data: "region = top\n",
			edit: func(f *INI) {
				f.Set("", "region", "a")
				f.SetNested("", "s3", "addressing_style", "path")
				f.AddComment("", "x")
				f.RemoveSection("")
			},
			want: "region = top\n",
		},
		"line breaks cannot inject lines": {
			data: "[default]\n",
			edit: func(f *INI) { f.Set("default", "region", "a\n[evil]\r\nx = y") },
			want: "[default]\nregion = a [evil]  x = y\n",
		},
		"header with comment and odd spacing": {
			data: "  [ profile  dev ]  # dev\nregion = a\n",
			edit: func(f *INI) { f.Set("profile dev", "region", "b") },
			want: "  [ profile  dev ]  # dev\nregion = b\n",
		},
		"set nested creates parent": {
			data: "[default]\nregion = a\n",
			edit: func(f *INI) { f.SetNested("default", "s3", "addressing_style", "path") },
			want: "[default]\nregion = a\ns3 =\n    addressing_style = path\n",
		},
		"set nested creates section": {
			data: "",
			edit: func(f *INI) { f.SetNested("default", "s3", "addressing_style", "path") },
			want: "[default]\ns3 =\n    addressing_style = path\n",
		},
		"set nested replaces subkey in place": {
			data: "[default]\ns3 =\n  Addressing_Style = virtual\n  max_concurrent_requests = 20\nregion = a\n",
			edit: func(f *INI) { f.SetNested("default", "s3", "addressing_style", "path") },
			want: "[default]\ns3 =\n  Addressing_Style = path\n  max_concurrent_requests = 20\nregion = a\n",
		},
		"set nested same value is a no-op": {
			data: "[default]\ns3 =\n  addressing_style=path\n",
			edit: func(f *INI) { f.SetNested("default", "s3", "addressing_style", "path") },
			want: "[default]\ns3 =\n  addressing_style=path\n",
		},
		"set nested adds subkey with existing indentation": {
			data: "[default]\ns3 =\n  max_concurrent_requests = 20\nregion = a\n",
			edit: func(f *INI) { f.SetNested("default", "s3", "addressing_style", "path") },
			want: "[default]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\nregion = a\n",
		},
		"set nested under parent without sub-section": {
			data: "[default]\ns3 =\nregion = a\n",
			edit: func(f *INI) { f.SetNested("default", "s3", "addressing_style", "path") },
			want: "[default]\ns3 =\n    addressing_style = path\nregion = a\n",
		},
		"set nested replaces a parent value": {
			data: "[default]\ns3 = junk\n",
			edit: func(f *INI) { f.SetNested("default", "s3", "addressing_style", "path") },
			want: "[default]\ns3 =\n    addressing_style = path\n",
		},
		"set nested under indented parent": {
			data: "[default]\n  s3 =\n",
			edit: func(f *INI) { f.SetNested("default", "s3", "addressing_style", "path") },
			want: "[default]\n  s3 =\n      addressing_style = path\n",
		},
		"add comment after header": {
			data: "[profile x]\nregion = a\n",
			edit: func(f *INI) { f.AddComment("profile x", "managed by awsboot: stack=semaphore-cache") },
			want: "[profile x]\n" + marker + "\nregion = a\n",
		},
		"add comment twice adds it once": {
			data: "[profile x]\nregion = a\n",
			edit: func(f *INI) {
				f.AddComment("profile x", marker)
				f.AddComment("profile x", marker)
			},
			want: "[profile x]\n" + marker + "\nregion = a\n",
		},
		"add semicolon comment": {
			data: "[profile x]\n",
			edit: func(f *INI) { f.AddComment("profile x", "; note") },
			want: "[profile x]\n; note\n",
		},
		"add comment creates section": {
			data: "[default]\nregion = a\n",
			edit: func(f *INI) {
				f.AddComment("profile x", marker)
				f.Set("profile x", "region", "b")
			},
			want: "[default]\nregion = a\n\n[profile x]\n" + marker + "\nregion = b\n",
		},
		"append section": {
			data: "[default]",
			edit: func(f *INI) { f.AppendSection("profile x") },
			want: "[default]\n\n[profile x]\n",
		},
		"append existing section does nothing": {
			data: "[profile  x]",
			edit: func(f *INI) { f.AppendSection("profile x") },
			want: "[profile  x]",
		},
		"remove middle section keeps blank and comment lines of the next": {
			data: "[default]\nregion = a\n\n[profile dev]\nregion = b\n\n# prod\n[profile prod]\nregion = c\n",
			edit: func(f *INI) { f.RemoveSection("profile dev") },
			want: "[default]\nregion = a\n\n\n# prod\n[profile prod]\nregion = c\n",
		},
		"remove first section": {
			data: "[a]\nk = 1\n# about b\n[b]\n",
			edit: func(f *INI) { f.RemoveSection("a") },
			want: "# about b\n[b]\n",
		},
		"remove last section removes one blank line before it": {
			data: "[a]\nk = 1\n\n\n[b]\nk = 2\n# end\n\n",
			edit: func(f *INI) { f.RemoveSection("b") },
			want: "[a]\nk = 1\n\n",
		},
		"remove last section without blank line before": {
			data: "[a]\nk = 1\n[b]\nk = 2",
			edit: func(f *INI) { f.RemoveSection("b") },
			want: "[a]\nk = 1\n",
		},
		"remove only section": {
			data: "[a]\nk = 1\n",
			edit: func(f *INI) { f.RemoveSection("a") },
			want: "",
		},
		"remove keeps preamble": {
			data: "# my file\n\n[a]\nk = 1\n",
			edit: func(f *INI) { f.RemoveSection("a") },
			want: "# my file\n",
		},
		"remove section with nested sub-section": {
			data: iniSamples["nested s3"],
			edit: func(f *INI) { f.RemoveSection("default") },
			want: "\n[profile minio]\nendpoint_url = http://localhost:9000\ns3 =\n    addressing_style = path\n",
		},
		"remove first of duplicate sections": {
			data: iniSamples["duplicate sections"],
			edit: func(f *INI) { f.RemoveSection("default") },
			want: "\n[default]\nregion = b\n",
		},
		"remove missing section": {
			data: iniSamples["one profile"],
			edit: func(f *INI) { f.RemoveSection("profile x") },
			want: iniSamples["one profile"],
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := ParseINI([]byte(tc.data))
			tc.edit(f)
			if diff := cmp.Diff(tc.want, string(f.Bytes())); diff != "" {
				t.Errorf("content mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestINIRemoveSectionResult(t *testing.T) {
	f := ParseINI([]byte(iniSamples["several profiles"]))
	if !f.RemoveSection("profile dev") {
		t.Error("RemoveSection(existing) = false, want true")
	}
	if f.RemoveSection("profile dev") {
		t.Error("RemoveSection(removed) = true, want false")
	}
	if f.AppendSection("default") {
		t.Error("AppendSection(existing) = true, want false")
	}
	if !f.AppendSection("profile dev") {
		t.Error("AppendSection(new) = false, want true")
	}
}

// TestINIAppendRemoveRoundTrip checks the promise of RemoveSection: adding a
// new section to X and removing it again gives X back byte for byte when X
// is empty or ends with a newline, and X plus a newline otherwise.
func TestINIAppendRemoveRoundTrip(t *testing.T) {
	edits := map[string]func(f *INI, section string){
		"empty section": func(f *INI, section string) { f.AppendSection(section) },
		"keys": func(f *INI, section string) {
			f.Set(section, "region", "eu-west-1")
			f.Set(section, "role_arn", "arn:aws:iam::123456789012:role/cache")
			f.Set(section, "region", "us-east-1")
		},
		"marker, keys and nested": func(f *INI, section string) {
			f.AddComment(section, "# managed by awsboot: stack=semaphore-cache")
			f.Set(section, "region", "eu-west-1")
			f.SetNested(section, "s3", "addressing_style", "path")
			f.Set(section, "output", "json")
		},
	}
	for sample, data := range iniSamples {
		for edit, apply := range edits {
			for _, section := range []string{"profile awsboot", "awsboot"} {
				t.Run(sample+"/"+edit+"/"+section, func(t *testing.T) {
					f := ParseINI([]byte(data))
					apply(f, section)
					if !f.RemoveSection(section) {
						t.Fatalf("RemoveSection(%q) = false after adding it; content:\n%s", section, f.Bytes())
					}
					want := data
					if data != "" && !strings.HasSuffix(data, "\n") {
						want += f.eol
					}
					if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
						t.Errorf("round trip mismatch (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

func FuzzINIRoundTrip(f *testing.F) {
	for _, data := range iniSamples {
		f.Add(data)
	}
	f.Add("[profile awsboot-fuzz]\n")
	f.Add("[a]\nk =\n\t\n  x = 1\n[b]\r\n;c\n")
	f.Fuzz(func(t *testing.T, data string) {
		ini := ParseINI([]byte(data))
		if got := string(ini.Bytes()); got != data {
			t.Fatalf("Bytes() = %q, want the input %q", got, data)
		}

		// Editing an existing section works and reads back.
		for s := ini.head.next; s != nil; s = s.next {
			if s.name == "" {
				continue
			}
			edited := ParseINI([]byte(data))
			edited.Set(s.name, "awsboot_fuzz_key", "v1")
			edited.SetNested(s.name, "s3", "awsboot_fuzz_sub", "v2")
			edited.AddComment(s.name, "fuzz marker")
			if v, ok := edited.Get(s.name, "awsboot_fuzz_key"); !ok || v != "v1" {
				t.Fatalf("Get after Set = %q, %v; content:\n%q", v, ok, edited.Bytes())
			}
			if v, ok := edited.GetNested(s.name, "s3", "awsboot_fuzz_sub"); !ok || v != "v2" {
				t.Fatalf("GetNested after SetNested = %q, %v; content:\n%q", v, ok, edited.Bytes())
			}
			break
		}

		const section = "profile awsboot-fuzz"
		if ini.HasSection(section) {
			return
		}
		ini.AddComment(section, "managed by awsboot")
		ini.Set(section, "region", "eu-west-1")
		ini.SetNested(section, "s3", "addressing_style", "path")
		if v, ok := ini.Get(section, "region"); !ok || v != "eu-west-1" {
			t.Fatalf("Get(new section) = %q, %v; content:\n%q", v, ok, ini.Bytes())
		}
		if !ini.RemoveSection(section) {
			t.Fatalf("RemoveSection(new section) = false; content:\n%q", ini.Bytes())
		}
		if data == "" || strings.HasSuffix(data, "\n") {
			if got := string(ini.Bytes()); got != data {
				t.Fatalf("append then remove = %q, want the input %q", got, data)
			}
		}
	})
}

// TestINISetComment: one comment line per prefix, rewritten in place,
// duplicates dropped, everything else byte for byte.
func TestINISetComment(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"added after the header": {
			in:   "[ci]\n# managed by awsboot: stack=s\nkey = 1\n",
			want: "[ci]\n# awsboot: proven abc\n# managed by awsboot: stack=s\nkey = 1\n",
		},
		"rewritten in place": {
			in:   "[a]\nx = 1\n\n[ci]\n# managed by awsboot: stack=s\n# awsboot: proven old\r\nkey = 1\n",
			want: "[a]\nx = 1\n\n[ci]\n# managed by awsboot: stack=s\n# awsboot: proven abc\r\nkey = 1\n",
		},
		"duplicates dropped": {
			in:   "[ci]\n# awsboot: proven one\nkey = 1\n# awsboot: proven two\n; other\n",
			want: "[ci]\n# awsboot: proven abc\nkey = 1\n; other\n",
		},
		"unchanged when equal": {
			in:   "[ci]\n  # awsboot: proven abc\nkey = 1\n",
			want: "[ci]\n  # awsboot: proven abc\nkey = 1\n",
		},
		"missing section appended": {
			in:   "[a]\nx = 1",
			want: "[a]\nx = 1\n\n[ci]\n# awsboot: proven abc\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := ParseINI([]byte(tc.in))
			f.SetComment("ci", "# awsboot: proven ", "# awsboot: proven abc")
			if got := string(f.Bytes()); got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
