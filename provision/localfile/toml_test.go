package localfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const tomlMarker = "# managed by awsboot: stack=s"

// tomlRunner is the [[runners]] entry the tests edit.
var tomlRunner = TOMLElement{Array: "runners", Key: "name", Value: "docker"}

// tomlCacheEdits are the edits of a GitLab runner's cache settings.
var tomlCacheEdits = []TOMLEdit{
	{Table: []string{"cache"}, Set: []TOMLKeyValue{{"Type", TOMLString("s3")}, {"Shared", TOMLBool(true)}}},
	{Table: []string{"cache", "s3"}, Set: []TOMLKeyValue{{"BucketName", TOMLString("b")}, {"SecretKey", TOMLString(`s"e\c`)}}},
}

// unsetAll undoes edits: every key they set is unset.
func unsetAll(edits []TOMLEdit) []TOMLEdit {
	var out []TOMLEdit
	for _, e := range edits {
		u := TOMLEdit{Table: e.Table}
		for _, kv := range e.Set {
			u.Unset = append(u.Unset, kv.Key)
		}
		out = append(out, u)
	}
	return out
}

func TestEditTOML(t *testing.T) {
	tests := map[string]struct {
		in    string
		edits []TOMLEdit // tomlCacheEdits when nil
		want  string
		// restores: unsetting the keys gives in back byte for byte.
		restores bool
	}{
		"tables added after the runner's own keys, indented like GitLab Runner's": {
			in: "concurrent = 1\n\n# the docker one\n[[runners]]\n  name = \"docker\"\n  token = \"glrt-x\" # keep\n  [runners.docker]\n    image = \"alpine\"\n\n[[runners]]\n  name = \"shell\"\n",
			want: "concurrent = 1\n\n# the docker one\n[[runners]]\n  name = \"docker\"\n  token = \"glrt-x\" # keep\n" +
				"  [runners.cache] " + tomlMarker + "\n    Type = \"s3\"\n    Shared = true\n" +
				"    [runners.cache.s3] " + tomlMarker + "\n      BucketName = \"b\"\n      SecretKey = \"s\\\"e\\\\c\"\n" +
				"  [runners.docker]\n    image = \"alpine\"\n\n[[runners]]\n  name = \"shell\"\n",
			restores: true,
		},
		"the empty tables register writes are filled, not marked": {
			in: "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    MaxUploadedArchiveSize = 0\n    [runners.cache.s3]\n    [runners.cache.gcs]\n",
			want: "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    MaxUploadedArchiveSize = 0\n    Type = \"s3\"\n    Shared = true\n" +
				"    [runners.cache.s3]\n      BucketName = \"b\"\n      SecretKey = \"s\\\"e\\\\c\"\n    [runners.cache.gcs]\n",
			restores: true,
		},
		"only the named runner": {
			in: "[[runners]]\n  name = \"shell\"\n  [runners.cache]\n    [runners.cache.s3]\n[[runners]]\n  name = \"docker\"\n",
			want: "[[runners]]\n  name = \"shell\"\n  [runners.cache]\n    [runners.cache.s3]\n[[runners]]\n  name = \"docker\"\n" +
				"  [runners.cache] " + tomlMarker + "\n    Type = \"s3\"\n    Shared = true\n" +
				"    [runners.cache.s3] " + tomlMarker + "\n      BucketName = \"b\"\n      SecretKey = \"s\\\"e\\\\c\"\n",
			restores: true,
		},
		"a flat file stays flat": {
			in: "[[runners]]\nname = \"docker\"\n[runners.docker]\nimage = \"alpine\"\n",
			want: "[[runners]]\nname = \"docker\"\n[runners.cache] " + tomlMarker + "\nType = \"s3\"\nShared = true\n" +
				"[runners.cache.s3] " + tomlMarker + "\nBucketName = \"b\"\nSecretKey = \"s\\\"e\\\\c\"\n[runners.docker]\nimage = \"alpine\"\n",
			restores: true,
		},
		"CRLF line endings": {
			in: "[[runners]]\r\n  name = \"docker\"\r\n",
			want: "[[runners]]\r\n  name = \"docker\"\r\n  [runners.cache] " + tomlMarker + "\r\n    Type = \"s3\"\r\n    Shared = true\r\n" +
				"    [runners.cache.s3] " + tomlMarker + "\r\n      BucketName = \"b\"\r\n      SecretKey = \"s\\\"e\\\\c\"\r\n",
			restores: true,
		},
		"no final newline": {
			in: "[[runners]]\n  name = \"docker\"",
			want: "[[runners]]\n  name = \"docker\"\n  [runners.cache] " + tomlMarker + "\n    Type = \"s3\"\n    Shared = true\n" +
				"    [runners.cache.s3] " + tomlMarker + "\n      BucketName = \"b\"\n      SecretKey = \"s\\\"e\\\\c\"",
			restores: true,
		},
		"a sub-table without its parent's header: the parent is added before it": {
			in: "[[runners]]\n  name = \"docker\"\n  [runners.cache.s3]\n    Insecure = false\n",
			want: "[[runners]]\n  name = \"docker\"\n  [runners.cache] " + tomlMarker + "\n    Type = \"s3\"\n    Shared = true\n" +
				"  [runners.cache.s3]\n    Insecure = false\n    BucketName = \"b\"\n    SecretKey = \"s\\\"e\\\\c\"\n",
			restores: true,
		},
		"values rewritten in place, key spelling and comments kept": {
			in:   "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    Type=\"gcs\"   # was gcs\n    Shared = \"true\"\n    [runners.cache.s3]\n      BucketName = 'b'\n      SecretKey = \"\"\"\nold\"\"\" # multi-line\n",
			want: "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    Type=\"s3\"   # was gcs\n    Shared = true\n    [runners.cache.s3]\n      BucketName = 'b'\n      SecretKey = \"s\\\"e\\\\c\" # multi-line\n",
		},
		"unset deletes a key spanning lines and its comment": {
			in:    "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    Path = [\n      \"a\",\n    ] # odd\n    Type = \"s3\"\n",
			edits: []TOMLEdit{{Table: []string{"cache"}, Unset: []string{"Path", "Missing"}}},
			want:  "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    Type = \"s3\"\n",
		},
		"a marked table that still holds a key of someone else's stays": {
			in:    "[[runners]]\n  name = \"docker\"\n  [runners.cache] " + tomlMarker + "\n    Type = \"s3\"\n    Mine = 1\n",
			edits: []TOMLEdit{{Table: []string{"cache"}, Unset: []string{"Type"}}},
			want:  "[[runners]]\n  name = \"docker\"\n  [runners.cache] " + tomlMarker + "\n    Mine = 1\n",
		},
		"nothing to change: the same bytes": {
			in:   "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    Type = 's3'\n    Shared = true\n  [runners.cache.s3]\n    BucketName = \"b\"\n    SecretKey = 's\"e\\c'\n",
			want: "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    Type = 's3'\n    Shared = true\n  [runners.cache.s3]\n    BucketName = \"b\"\n    SecretKey = 's\"e\\c'\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			edits := tc.edits
			if edits == nil {
				edits = tomlCacheEdits
			}
			got, err := EditTOML([]byte(tc.in), tomlRunner, edits, tomlMarker)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("edited (-want +got):\n%s", diff)
			}
			again, err := EditTOML(got, tomlRunner, edits, tomlMarker)
			if err != nil || string(again) != string(got) {
				t.Errorf("the same edit again changed the file: %v\n%s", err, again)
			}
			for _, e := range edits {
				tbl, err := ReadTOMLTable(got, tomlRunner, e.Table)
				if err != nil || !tbl.Found {
					t.Fatalf("read back %v: %v, %v", e.Table, tbl, err)
				}
				for _, kv := range e.Set {
					if tbl.Values[kv.Key] != kv.Value {
						t.Errorf("read back %v %s = %v, want %v", e.Table, kv.Key, tbl.Values[kv.Key], kv.Value)
					}
				}
			}
			if !tc.restores {
				return
			}
			back, err := EditTOML(got, tomlRunner, unsetAll(edits), tomlMarker)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.in, string(back)); diff != "" {
				t.Errorf("unsetting the keys did not restore the file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEditTOMLRefuses(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string
	}{
		"no such runner": {
			in:   "[[runners]]\n  name = \"shell\"\n",
			want: `[[runners]] with name = "docker": no such table in the array of tables`,
		},
		"two runners with the name": {
			in:   "[[runners]]\n  name = \"docker\"\n[[runners]]\n  name = \"docker\"\n",
			want: `line 3: 2 [[runners]] tables have name = "docker" (lines 1, 3), so awsboot cannot tell which one to edit: give each a name of its own`,
		},
		"a dotted key": {
			in:   "[[runners]]\n  name = \"docker\"\n  cache.Type = \"s3\"\n",
			want: `line 3: [runners.cache] is set with a dotted key or an inline table (cache.Type = …); awsboot edits it only when written as a table of its own: please write it as a [runners.cache] header with its keys below`,
		},
		"a dotted secret key: the value is never in the message": {
			in:   "[[runners]]\n  name = \"docker\"\n  cache.s3.SecretKey = \"TOPSECRETVALUE\"\n",
			want: `line 3: [runners.cache] is set with a dotted key or an inline table (cache.s3.SecretKey = …); awsboot edits`,
		},
		"an inline table": {
			in:   "[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    s3 = { BucketName = \"x\" }\n",
			want: `line 4: [runners.cache.s3] is set with a dotted key or an inline table (s3 = …); awsboot edits it only when written as a table of its own: please write it as a [runners.cache.s3] header with its keys below`,
		},
		"runners as an inline array": {
			in:   "runners = [{ name = \"docker\" }]\n",
			want: `line 1: runners is written as a key, not as [[runners]] tables; awsboot edits only [[runners]] tables: please write each entry as a [[runners]] table`,
		},
		"an array of cache tables": {
			in:   "[[runners]]\n  name = \"docker\"\n  [[runners.cache]]\n    Type = \"s3\"\n",
			want: `line 3: [[runners.cache]] is an array of tables; awsboot expects [runners.cache]`,
		},
		"not TOML": {
			in:   "[[runners]]\n  name = \"docker\"\n  name = \"again\"\n",
			want: "line 3, column 3: not valid TOML",
		},
		"not UTF-8": {
			in:   "[[runners]]\n  name = \"\xff\"\n",
			want: "not UTF-8 text, as TOML must be",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := EditTOML([]byte(tc.in), tomlRunner, tomlCacheEdits, tomlMarker)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if name == "no such runner" && !errors.Is(err, ErrTOMLElementNotFound) {
				t.Errorf("err = %v, want ErrTOMLElementNotFound", err)
			}
		})
	}
	bad := []TOMLEdit{{Table: []string{"cache"}, Set: []TOMLKeyValue{{"SecretKey", TOMLString("\xffsecret")}}}}
	_, err := EditTOML([]byte("[[runners]]\nname = \"docker\"\n"), tomlRunner, bad, tomlMarker)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("an invalid value: %v (it must not be shown)", err)
	}
}

func TestReadTOMLTable(t *testing.T) {
	const file = "[[runners]]\n  name = \"shell\"\n  [runners.cache]\n    Type = \"gcs\"\n" +
		"[[runners]]\n  name = \"docker\"\n  [runners.cache]\n    Type = \"s3\"\n    Shared = true\n    MaxUploadedArchiveSize = 0\n    s3.x = 1\n"
	tests := map[string]struct {
		in    string
		table []string
		want  TOMLTable
	}{
		"the named runner's table, typed": {
			in: file, table: []string{"cache"},
			want: TOMLTable{Found: true, Defined: true, Values: map[string]TOMLValue{
				"Type": TOMLString("s3"), "Shared": TOMLBool(true), "MaxUploadedArchiveSize": {kind: tomlOther, text: "0"},
			}},
		},
		"a table without a header": {
			in: "[[runners]]\n  name = \"docker\"\n", table: []string{"cache"},
			want: TOMLTable{Found: true, Values: map[string]TOMLValue{}},
		},
		"no such runner": {
			in: "[[runners]]\n  name = \"shell\"\n", table: []string{"cache"},
		},
		"an empty file": {
			table: []string{"cache"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ReadTOMLTable([]byte(tc.in), tomlRunner, tc.table)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(TOMLValue{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := ReadTOMLTable([]byte(file), tomlRunner, []string{"cache", "s3"}); err == nil {
		t.Error("read a table set with dotted keys")
	}
}

func TestTOMLValue(t *testing.T) {
	for v, want := range map[TOMLValue][2]string{
		TOMLString("a\"b\\c\n\x01é"): {"a\"b\\c\n\x01é", `"a\"b\\c\n\u0001é"`},
		TOMLBool(true):               {"true", "true"},
		TOMLBool(false):              {"false", "false"},
	} {
		if v.String() != want[0] || v.TOML() != want[1] {
			t.Errorf("%#v: String %q, TOML %q; want %q", v, v.String(), v.TOML(), want)
		}
	}
	if TOMLString("true") == TOMLBool(true) || !TOMLString("x").IsString() || !TOMLBool(true).IsBool() {
		t.Error("strings and booleans are confused")
	}
	if got := (TOMLElement{Array: "runners", Key: "name", Value: "a b"}).String(); got != `[[runners]] with name = "a b"` {
		t.Errorf("element %s", got)
	}
}

// FuzzEditTOML: on any input, EditTOML never trips its own "a bug in
// awsboot" check, and when it adds the keys, unsetting them gives the
// input back byte for byte.
func FuzzEditTOML(f *testing.F) {
	for _, s := range []string{
		"[[runners]]\n  name = \"docker\"\n",
		"[[runners]]\nname = \"docker\"\n[runners.cache]\n[runners.cache.s3]\n",
		"a = 1\n[[runners]]\r\n  name = 'docker' # c\r\n  [runners.docker]\r\n    x = [1,\r\n 2]\r\n",
		"[[runners]]\n  name = \"docker\"\n  [runners.cache.s3]\n    Insecure = true",
		"[x]\n[[runners]]\nname=\"docker\"\n[y]\n[runners.cache]\nMaxUploadedArchiveSize=0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := EditTOML([]byte(in), tomlRunner, tomlCacheEdits, tomlMarker)
		if err != nil {
			if strings.Contains(err.Error(), "a bug in awsboot") {
				t.Fatalf("input %q: %v", in, err)
			}
			return
		}
		for _, e := range tomlCacheEdits {
			tbl, _ := ReadTOMLTable([]byte(in), tomlRunner, e.Table)
			for _, kv := range e.Set {
				if _, ok := tbl.Values[kv.Key]; ok {
					return // a value was replaced: no byte-for-byte promise
				}
			}
		}
		back, err := EditTOML(out, tomlRunner, unsetAll(tomlCacheEdits), tomlMarker)
		if err != nil {
			t.Fatalf("input %q: unset: %v", in, err)
		}
		if string(back) != in {
			t.Fatalf("input %q: set then unset gave %q", in, back)
		}
	})
}
