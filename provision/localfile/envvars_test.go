package localfile

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// agentSamples are realistic Semaphore agent config files without the
// variables awsboot sets. They are used by the round-trip tests and as the
// seed corpus of FuzzEnvVars.
var agentSamples = map[string]string{
	"empty":         "",
	"only comments": "# configure me\n",
	"typical": `endpoint: "acme.semaphoreci.com"
token: "secret-token"
# comment
env-vars:
  - FOO=bar
  - SEMAPHORE_CACHE_BACKEND=local
files: []
fail-on-missing-files: true
`,
	"no env-vars": `endpoint: "acme.semaphoreci.com"
token: "secret-token"
shutdown-hook-path: /opt/semaphore/hook.sh
`,
	"env-vars last": `endpoint: acme.semaphoreci.com
token: secret-token
env-vars:
  - FOO=bar
`,
	"env-vars first": `env-vars:
    - FOO=bar
    - "QUOTED=a: b"
endpoint: acme.semaphoreci.com
`,
	"zero indentation": `endpoint: acme.semaphoreci.com
env-vars:
- FOO=bar
- BAZ=qux
files: []
`,
	"comments around items": `# agent
endpoint: acme.semaphoreci.com # org
env-vars: # extra environment
  # first one
  - FOO=bar # foo

  - 'SINGLE=quoted'
  # end of list
files: []
# trailing comment
`,
	"crlf":                "endpoint: acme.semaphoreci.com\r\nenv-vars:\r\n  - FOO=bar\r\nfiles: []\r\n",
	"crlf no env-vars":    "endpoint: acme.semaphoreci.com\r\ntoken: t\r\n",
	"document start":      "---\nendpoint: acme.semaphoreci.com\n",
	"only document start": "---\n",
	"indented mapping":    "  endpoint: acme.semaphoreci.com\n  env-vars:\n    - FOO=bar\n",
	"block scalar last":   "endpoint: acme.semaphoreci.com\nnote: |\n  some text\n\n",
	"no final newline":    "endpoint: acme.semaphoreci.com\ntoken: secret-token",
	"bom":                 "\ufeffenv-vars:\n  - FOO=bar\n",
}

// errString returns the message of err, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestEnvVars(t *testing.T) {
	tests := map[string]struct {
		data    string
		want    []string
		wantErr string
	}{
		"empty":          {data: ""},
		"only comments":  {data: "# nothing\n"},
		"document start": {data: "---\n"},
		"no env-vars":    {data: agentSamples["no env-vars"]},
		"null":           {data: "env-vars:\nfiles: []\n"},
		"empty flow":     {data: "env-vars: []\n"},
		"typical": {
			data: agentSamples["typical"],
			want: []string{"FOO=bar", "SEMAPHORE_CACHE_BACKEND=local"},
		},
		"flow": {
			data: `env-vars: [A=b, "C=d e"]`,
			want: []string{"A=b", "C=d e"},
		},
		"quoted and commented": {
			data: agentSamples["comments around items"],
			want: []string{"FOO=bar", "SINGLE=quoted"},
		},
		"multi-line item": {
			data: "env-vars:\n  - |\n    A=b\n",
			want: []string{"A=b\n"},
		},
		"crlf": {
			data: agentSamples["crlf"],
			want: []string{"FOO=bar"},
		},
		"not a mapping": {
			data:    "- a\n- b\n",
			wantErr: "agent config is not a YAML mapping at top level",
		},
		"scalar document": {
			data:    "hello\n",
			wantErr: "agent config is not a YAML mapping at top level",
		},
		"env-vars is a string": {
			data:    "endpoint: x\nenv-vars: FOO=bar\n",
			wantErr: "env-vars on line 2 is not a list",
		},
		"env-vars is a mapping": {
			data:    "env-vars:\n  FOO: bar\n",
			wantErr: "env-vars on line 1 is not a list",
		},
		"item is a number": {
			data:    "env-vars:\n  - A=b\n  - 42\n",
			wantErr: "env-vars item on line 3 is not a string",
		},
		"item is a mapping": {
			data:    "env-vars:\n  - A: b\n",
			wantErr: "env-vars item on line 2 is not a string",
		},
		"item is null": {
			data:    "env-vars:\n  -\n",
			wantErr: "env-vars item on line 2 is not a string",
		},
		"several documents": {
			data:    "endpoint: x\n---\nendpoint: y\n",
			wantErr: "agent config holds several YAML documents, awsboot expects one",
		},
		"syntax error": {
			data:    "env-vars: [\n",
			wantErr: "parse agent config: yaml: line 1: did not find expected node content",
		},
		"not utf-8": {
			data:    "endpoint: \xff\n",
			wantErr: "agent config is not UTF-8 text",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := EnvVars([]byte(tc.data))
			if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
				t.Fatalf("error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("EnvVars() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetEnvVars(t *testing.T) {
	cache := []EnvVar{{Name: "SEMAPHORE_CACHE_BACKEND", Value: "s3"}, {Name: "SEMAPHORE_CACHE_S3_BUCKET", Value: "acme-cache"}}
	tests := map[string]struct {
		data    string
		vars    []EnvVar
		want    string
		wantErr string
	}{
		"replace in place and append": {
			data: agentSamples["typical"],
			vars: cache,
			want: `endpoint: "acme.semaphoreci.com"
token: "secret-token"
# comment
env-vars:
  - FOO=bar
  - SEMAPHORE_CACHE_BACKEND=s3
  - SEMAPHORE_CACHE_S3_BUCKET=acme-cache
files: []
fail-on-missing-files: true
`,
		},
		"already set is a no-op": {
			data: agentSamples["typical"],
			vars: []EnvVar{{Name: "FOO", Value: "bar"}, {Name: "SEMAPHORE_CACHE_BACKEND", Value: "local"}},
			want: agentSamples["typical"],
		},
		"no vars is a no-op": {
			data: agentSamples["comments around items"],
			want: agentSamples["comments around items"],
		},
		"missing key is appended": {
			data: agentSamples["no env-vars"],
			vars: cache,
			want: agentSamples["no env-vars"] + "env-vars:\n  - SEMAPHORE_CACHE_BACKEND=s3\n  - SEMAPHORE_CACHE_S3_BUCKET=acme-cache\n",
		},
		"missing key without final newline": {
			data: "endpoint: x",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "endpoint: x\nenv-vars:\n  - A=1\n",
		},
		"empty file": {
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - A=1\n",
		},
		"only document start": {
			data: "---\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "---\nenv-vars:\n  - A=1\n",
		},
		"indented mapping": {
			data: "  endpoint: x\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "  endpoint: x\n  env-vars:\n    - A=1\n",
		},
		"zero indentation": {
			data: agentSamples["zero indentation"],
			vars: []EnvVar{{Name: "BAZ", Value: "new"}, {Name: "A", Value: "1"}},
			want: "endpoint: acme.semaphoreci.com\nenv-vars:\n- FOO=bar\n- BAZ=new\n- A=1\nfiles: []\n",
		},
		"four spaces indentation": {
			data: agentSamples["env-vars first"],
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n    - FOO=bar\n    - \"QUOTED=a: b\"\n    - A=1\nendpoint: acme.semaphoreci.com\n",
		},
		"comments are kept": {
			data: agentSamples["comments around items"],
			vars: []EnvVar{{Name: "FOO", Value: "baz"}, {Name: "SINGLE", Value: "x"}, {Name: "A", Value: "1"}},
			want: `# agent
endpoint: acme.semaphoreci.com # org
env-vars: # extra environment
  # first one
  - FOO=baz # foo

  - SINGLE=x
  - A=1
  # end of list
files: []
# trailing comment
`,
		},
		"duplicates are removed": {
			data: "env-vars:\n  - A=0\n  - B=1\n  - A=2\n  - A\n",
			vars: []EnvVar{{Name: "A", Value: "3"}},
			want: "env-vars:\n  - A=3\n  - B=1\n",
		},
		"duplicates with the wanted value are removed": {
			data: "env-vars:\n  - 'A=1'\n  - A=1\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - 'A=1'\n",
		},
		"entry without equals sign": {
			data: "env-vars:\n  - A\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - A=1\n",
		},
		"null": {
			data: "env-vars:\nfiles: []\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - A=1\nfiles: []\n",
		},
		"explicit null with comment": {
			data: "endpoint: x\nenv-vars: ~ # extra\nfiles: []\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "endpoint: x\nenv-vars: # extra\n  - A=1\nfiles: []\n",
		},
		"null at end without newline": {
			data: "env-vars:",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - A=1\n",
		},
		"empty flow list": {
			data: "env-vars: []\nfiles: []\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - A=1\nfiles: []\n",
		},
		"one-line flow list keeps items": {
			data: "env-vars: [FOO=bar, \"B=c d\", 'Q=a: b'] # keep\nfiles: []\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars: # keep\n  - FOO=bar\n  - B=c d\n  - \"Q=a: b\"\n  - A=1\nfiles: []\n",
		},
		"one-line flow list replace": {
			data: "env-vars: [A=0]\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - A=1\n",
		},
		"one-line flow list already set": {
			data: "env-vars: [A=1]\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars: [A=1]\n",
		},
		"indented flow list": {
			data: "  endpoint: x\n  env-vars: []\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "  endpoint: x\n  env-vars:\n    - A=1\n",
		},
		"quoted key": {
			data: "\"env-vars\": []\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "\"env-vars\":\n  - A=1\n",
		},
		"quoted item replaced": {
			data: "env-vars:\n  - \"A=0\"\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - A=1\n",
		},
		"values that need quoting": {
			data: "env-vars:\n  - X=1\n",
			vars: []EnvVar{
				{Name: "COLON", Value: "a: b"},
				{Name: "HASH", Value: "x # y"},
				{Name: "LINES", Value: "one\ntwo"},
				{Name: "SPACE", Value: "trailing "},
				{Name: "QUOTE", Value: `say "hi"`},
				{Name: "EMPTY", Value: ""},
				{Name: "URL", Value: "https://s3.eu-west-1.amazonaws.com/b?x=1&y=2"},
				{Name: "UNICODE", Value: "café"},
			},
			want: `env-vars:
  - X=1
  - "COLON=a: b"
  - "HASH=x # y"
  - "LINES=one\ntwo"
  - "SPACE=trailing "
  - QUOTE=say "hi"
  - EMPTY=
  - URL=https://s3.eu-west-1.amazonaws.com/b?x=1&y=2
  - UNICODE=café
`,
		},
		"later var wins": {
			vars: []EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}, {Name: "A", Value: "3"}},
			want: "env-vars:\n  - A=3\n  - B=2\n",
		},
		"crlf": {
			data: agentSamples["crlf"],
			vars: []EnvVar{{Name: "FOO", Value: "baz"}, {Name: "A", Value: "1"}},
			want: "endpoint: acme.semaphoreci.com\r\nenv-vars:\r\n  - FOO=baz\r\n  - A=1\r\nfiles: []\r\n",
		},
		"carriage return line breaks": {
			data: "env-vars:\r  - FOO=bar\r",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\r  - FOO=bar\r  - A=1\r",
		},
		"crlf missing key": {
			data: agentSamples["crlf no env-vars"],
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "endpoint: acme.semaphoreci.com\r\ntoken: t\r\nenv-vars:\r\n  - A=1\r\n",
		},
		"byte order mark": {
			data: agentSamples["bom"],
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "\ufeffenv-vars:\n  - FOO=bar\n  - A=1\n",
		},
		"last item without final newline": {
			data: "env-vars:\n  - FOO=bar",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - FOO=bar\n  - A=1\n",
		},
		"replace last item without final newline": {
			data: "env-vars:\n  - FOO=bar",
			vars: []EnvVar{{Name: "FOO", Value: "baz"}},
			want: "env-vars:\n  - FOO=baz",
		},
		"multi-line item elsewhere is fine": {
			data: "env-vars:\n  - |\n    X=1\n  - A=0\n",
			vars: []EnvVar{{Name: "A", Value: "1"}},
			want: "env-vars:\n  - |\n    X=1\n  - A=1\n",
		},
		"invalid name": {
			data:    agentSamples["typical"],
			vars:    []EnvVar{{Name: "A=B", Value: "1"}},
			wantErr: `invalid environment variable name "A=B"`,
		},
		"empty name": {
			vars:    []EnvVar{{Name: "", Value: "1"}},
			wantErr: `invalid environment variable name ""`,
		},
		"multi-line flow list": {
			data:    "env-vars: [\n  A=b,\n]\n",
			vars:    []EnvVar{{Name: "C", Value: "1"}},
			wantErr: `env-vars on line 1 is a flow sequence spanning several lines: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"flow list on the next line": {
			data:    "env-vars:\n  [A=b]\n",
			vars:    []EnvVar{{Name: "C", Value: "1"}},
			wantErr: `env-vars on line 1 is a flow sequence spanning several lines: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"multi-line literal item": {
			data:    "env-vars:\n  - |\n    A=b\n",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: `env-vars item on line 2 spans several lines: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"multi-line plain item": {
			data:    "env-vars:\n  - A=b\n    c\n",
			vars:    []EnvVar{{Name: "B", Value: "1"}},
			wantErr: `env-vars item on line 2 spans several lines: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"multi-line quoted item": {
			data:    "env-vars:\n  - \"A=b\n    c\"\n",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: `env-vars item on line 2 spans several lines: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"anchored item": {
			data:    "env-vars:\n  - &x A=b\nother: *x\n",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: `env-vars item on line 2 is not a plain "- NAME=value" item: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"flow mapping": {
			data:    "{endpoint: x, env-vars: [A=b]}\n",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: "agent config is written as a flow mapping ({...}), awsboot edits only block-style YAML: please convert it to that style",
		},
		"document end marker": {
			data:    "endpoint: x\n...\n",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: `agent config has a document end marker "...", awsboot cannot append env-vars after it: please remove the marker`,
		},
		"value that cannot be written": {
			vars:    []EnvVar{{Name: "A", Value: "\xff"}},
			wantErr: `cannot write "A=\xff" as a one-line YAML string`,
		},
		"null on the next line": {
			data:    "env-vars:\n  ~\n",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: `env-vars on line 1 has its value on another line: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"block scalar without final newline": {
			data:    "note: |\n  text",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: "agent config does not end with a newline and adding one would change its last value: please add a newline at the end of the file",
		},
		"anchored list used elsewhere": {
			data:    "env-vars: &e [A=b]\nother: *e\n",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: "env-vars on line 1 has an anchor (&e), awsboot cannot edit it safely: please remove the anchor",
		},
		"anchored flow item used elsewhere": {
			data:    "env-vars: [&a A=b]\nother: *a\n",
			vars:    []EnvVar{{Name: "C", Value: "1"}},
			wantErr: `env-vars item on line 1 is not a plain "- NAME=value" item: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"not a mapping": {
			data:    "- a\n",
			wantErr: "agent config is not a YAML mapping at top level",
		},
		"not a list": {
			data:    "env-vars: 1\n",
			vars:    []EnvVar{{Name: "A", Value: "1"}},
			wantErr: "env-vars on line 1 is not a list",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := SetEnvVars([]byte(tc.data), tc.vars)
			if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
				t.Fatalf("error mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("SetEnvVars() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRemoveEnvVars(t *testing.T) {
	byName := func(names ...string) func(string, string) bool {
		return func(name, _ string) bool { return slices.Contains(names, name) }
	}
	tests := map[string]struct {
		data    string
		match   func(name, value string) bool
		want    string
		wantErr string
	}{
		"remove one": {
			data:  agentSamples["typical"],
			match: byName("SEMAPHORE_CACHE_BACKEND"),
			want: `endpoint: "acme.semaphoreci.com"
token: "secret-token"
# comment
env-vars:
  - FOO=bar
files: []
fail-on-missing-files: true
`,
		},
		"remove all removes the key": {
			data:  agentSamples["typical"],
			match: byName("SEMAPHORE_CACHE_BACKEND", "FOO"),
			want: `endpoint: "acme.semaphoreci.com"
token: "secret-token"
# comment
files: []
fail-on-missing-files: true
`,
		},
		"match by value": {
			data:  agentSamples["typical"],
			match: func(_, value string) bool { return value == "local" },
			want:  strings.Replace(agentSamples["typical"], "  - SEMAPHORE_CACHE_BACKEND=local\n", "", 1),
		},
		"nothing matches": {
			data:  agentSamples["typical"],
			match: byName("NOPE"),
			want:  agentSamples["typical"],
		},
		"no env-vars": {
			data:  agentSamples["no env-vars"],
			match: byName("FOO"),
			want:  agentSamples["no env-vars"],
		},
		"empty": {
			match: byName("FOO"),
			want:  "",
		},
		"comments stay": {
			data:  agentSamples["comments around items"],
			match: byName("FOO", "SINGLE"),
			want: `# agent
endpoint: acme.semaphoreci.com # org
  # first one

  # end of list
files: []
# trailing comment
`,
		},
		"zero indentation": {
			data:  agentSamples["zero indentation"],
			match: byName("FOO"),
			want:  "endpoint: acme.semaphoreci.com\nenv-vars:\n- BAZ=qux\nfiles: []\n",
		},
		"crlf": {
			data:  "a: 1\r\nenv-vars:\r\n  - A=1\r\n  - B=2\r\nb: 2\r\n",
			match: byName("A"),
			want:  "a: 1\r\nenv-vars:\r\n  - B=2\r\nb: 2\r\n",
		},
		"crlf remove all": {
			data:  "a: 1\r\nenv-vars:\r\n  - A=1\r\nb: 2\r\n",
			match: byName("A"),
			want:  "a: 1\r\nb: 2\r\n",
		},
		"duplicates": {
			data:  "env-vars:\n  - A=1\n  - B=2\n  - A=3\n",
			match: byName("A"),
			want:  "env-vars:\n  - B=2\n",
		},
		"entry without equals sign": {
			data:  "env-vars:\n  - A\n  - B=2\n",
			match: func(name, value string) bool { return name == "A" && value == "" },
			want:  "env-vars:\n  - B=2\n",
		},
		"one-line flow list": {
			data:  "env-vars: [A=1, B=2] # c\n",
			match: byName("A"),
			want:  "env-vars: # c\n  - B=2\n",
		},
		"one-line flow list remove all": {
			data:  "a: 1\nenv-vars: [A=1]\nb: 2\n",
			match: byName("A"),
			want:  "a: 1\nb: 2\n",
		},
		"multi-line flow list": {
			data:    "env-vars: [A=1,\n  B=2]\n",
			match:   byName("A"),
			wantErr: `env-vars on line 1 is a flow sequence spanning several lines: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"multi-line flow list without match": {
			data:  "env-vars: [A=1,\n  B=2]\n",
			match: byName("C"),
			want:  "env-vars: [A=1,\n  B=2]\n",
		},
		"multi-line item": {
			data:    "env-vars:\n  - >\n    A=1\n",
			match:   byName("A"),
			wantErr: `env-vars item on line 2 spans several lines: awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`,
		},
		"item is not a string": {
			data:    "env-vars:\n  - [A]\n",
			match:   byName("A"),
			wantErr: "env-vars item on line 2 is not a string",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := RemoveEnvVars([]byte(tc.data), tc.match)
			if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
				t.Fatalf("error mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("RemoveEnvVars() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEnvVarsRoundTrip checks the promise of RemoveEnvVars: removing the
// variables that SetEnvVars added gives the file back byte for byte.
func TestEnvVarsRoundTrip(t *testing.T) {
	varSets := map[string][]EnvVar{
		"one": {{Name: "SEMAPHORE_CACHE_BACKEND_AWSBOOT", Value: "s3"}},
		"several": {
			{Name: "SEMAPHORE_CACHE_S3_BUCKET", Value: "acme-cache"},
			{Name: "AWS_REGION", Value: "eu-west-1"},
			{Name: "AWS_PROFILE", Value: "semaphore cache"},
		},
		"quoted": {{Name: "AWSBOOT_NOTE", Value: "a: b # not a comment"}},
	}
	for sample, data := range agentSamples {
		if data != "" && !strings.HasSuffix(data, "\n") {
			continue
		}
		for set, vars := range varSets {
			t.Run(sample+"/"+set, func(t *testing.T) {
				added, err := SetEnvVars([]byte(data), vars)
				if err != nil {
					t.Fatalf("SetEnvVars() error: %v", err)
				}
				entries, err := EnvVars(added)
				if err != nil {
					t.Fatalf("EnvVars() error: %v", err)
				}
				for _, v := range vars {
					if !slices.Contains(entries, v.Name+"="+v.Value) {
						t.Errorf("EnvVars() = %q, want it to contain %s=%s", entries, v.Name, v.Value)
					}
				}
				removed, err := RemoveEnvVars(added, func(name, _ string) bool {
					return slices.ContainsFunc(vars, func(v EnvVar) bool { return v.Name == name })
				})
				if err != nil {
					t.Fatalf("RemoveEnvVars() error: %v", err)
				}
				if diff := cmp.Diff(data, string(removed)); diff != "" {
					t.Errorf("round trip mismatch (-want +got):\n%s\nafter SetEnvVars:\n%s", diff, added)
				}
			})
		}
	}
}

func TestVerifyEdit(t *testing.T) {
	tests := map[string]struct {
		before, after string
		want          []string
		wantErr       string
	}{
		"ok": {
			before: "a: 1\n",
			after:  "a: 1\nenv-vars:\n  - A=1\n",
			want:   []string{"A=1"},
		},
		"other setting changed": {
			before:  "a: 1\n",
			after:   "a: 2\nenv-vars:\n  - A=1\n",
			want:    []string{"A=1"},
			wantErr: "editing env-vars would change other settings of the agent config (a bug in awsboot)",
		},
		"wrong entries": {
			before:  "a: 1\n",
			after:   "a: 1\nenv-vars:\n  - A=2\n",
			want:    []string{"A=1"},
			wantErr: `edited agent config has env-vars ["A=2"] instead of ["A=1"] (a bug in awsboot)`,
		},
		"does not parse": {
			before:  "a: 1\n",
			after:   "a: 1\nenv-vars: [\n",
			want:    []string{"A=1"},
			wantErr: "edited agent config does not read back (a bug in awsboot): parse agent config: yaml: line 2: did not find expected node content",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := verifyEdit([]byte(tc.before), []byte(tc.after), tc.want)
			if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzEnvVars(f *testing.F) {
	for _, data := range agentSamples {
		f.Add(data, "SEMAPHORE_CACHE_BACKEND", "s3")
	}
	f.Add("env-vars: [A=b]\n", "A", "a: b")
	f.Add("env-vars:\n- A\n- B=1\n", "B", "")
	f.Add("env-vars:\n  - A=b\n  - A=c\n", "A", "x\ny")
	f.Add("env-vars:\r  - A=b\r", "A", "1")
	f.Add("x: 1\u0085env-vars:\u0085  - A=b # c\u0085", "B", "2")
	f.Add("env-vars: !!seq []\nx: |\n  a\n", "A", " ")
	f.Add("? env-vars\n: - A=b\n", "A", "#")
	f.Fuzz(func(t *testing.T, data, name, value string) {
		before, err := EnvVars([]byte(data))
		if err != nil {
			return
		}
		const extra = "AWSBOOT_FUZZ"
		vars := []EnvVar{{Name: name, Value: value}, {Name: extra, Value: "1"}}
		isOurs := func(n, _ string) bool { return n == name || n == extra }
		// The edits check their own result; failing that check is a bug.
		isBug := func(err error) bool { return err != nil && strings.Contains(err.Error(), "a bug in awsboot") }
		if _, err := RemoveEnvVars([]byte(data), isOurs); isBug(err) {
			t.Fatalf("RemoveEnvVars() error: %v", err)
		}

		out, err := SetEnvVars([]byte(data), vars)
		if isBug(err) {
			t.Fatalf("SetEnvVars() error: %v", err)
		}
		if err != nil {
			return
		}
		after, err := EnvVars(out)
		if err != nil {
			t.Fatalf("EnvVars(SetEnvVars()) error: %v\ncontent:\n%q", err, out)
		}
		var want []string
		for _, entry := range before {
			if !isOurs(splitEntry(entry)) {
				want = append(want, entry)
			}
		}
		var ours, others []string
		for _, entry := range after {
			if isOurs(splitEntry(entry)) {
				ours = append(ours, entry)
			} else {
				others = append(others, entry)
			}
		}
		if diff := cmp.Diff(want, others); diff != "" {
			t.Fatalf("other entries changed (-want +got):\n%s\ncontent:\n%q", diff, out)
		}
		wantOurs := []string{name + "=" + value, extra + "=1"}
		if name == extra {
			wantOurs = []string{extra + "=1"}
		}
		slices.Sort(ours)
		slices.Sort(wantOurs)
		if diff := cmp.Diff(wantOurs, ours); diff != "" {
			t.Fatalf("set entries mismatch (-want +got):\n%s\ncontent:\n%q", diff, out)
		}

		// Removing what was added gives the input back when it had none of
		// it, ended with a newline and had no env-vars or a block list.
		c, err := parseAgentConfig([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != len(before) || data != "" && !strings.HasSuffix(data, "\n") ||
			c.key != nil && !isBlockList(c.value) {
			return
		}
		back, err := RemoveEnvVars(out, isOurs)
		if err != nil {
			t.Fatalf("RemoveEnvVars() error: %v\ncontent:\n%q", err, out)
		}
		if string(back) != string(data) {
			t.Fatalf("RemoveEnvVars(SetEnvVars(X)) = %q, want X = %q", back, data)
		}
	})
}
