package policies

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision/golden"
	"github.com/google/go-cmp/cmp"
)

func TestEqual(t *testing.T) {
	base := Cache(Scope{Bucket: "b"})
	tests := map[string]struct {
		doc  string
		want bool
	}{
		"same JSON":                     {doc: base.JSON(), want: true},
		"URL-encoded as IAM returns it": {doc: url.QueryEscape(base.JSON()), want: true},
		"statements and actions reordered, single values as strings": {doc: `{"Version":"2012-10-17","Statement":[
			{"Sid":"ListCacheBucket","Effect":"Allow","Action":"s3:listbucket","Resource":"arn:aws:s3:::b"},
			{"Sid":"ReadWriteCacheObjects","Effect":"Allow","Action":["s3:DeleteObject","s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b/*"]}]}`, want: true},
		"an extra action": {doc: strings.Replace(base.JSON(), `"s3:DeleteObject"`, `"s3:DeleteObject", "s3:PutObjectAcl"`, 1), want: false},
		"another bucket":  {doc: strings.ReplaceAll(base.JSON(), ":::b", ":::c"), want: false},
		"a condition added": {doc: strings.Replace(base.JSON(), `"Sid": "ListCacheBucket",`,
			`"Sid": "ListCacheBucket", "Condition": {"StringLike": {"s3:prefix": ["x/*"]}},`, 1), want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d, err := Parse(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := Equal(base, d); got != tc.want {
				t.Errorf("Equal = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	for _, doc := range []string{`{`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":{"a":1}}]}`, `{"Unknown":1}`, `{"Statement":[{"Principal":"someone"}]}`} {
		if _, err := Parse(doc); err == nil {
			t.Errorf("Parse(%s) succeeded", doc)
		}
	}
}

func TestLint(t *testing.T) {
	tests := map[string]struct {
		doc  Document
		want []string
	}{
		"cache grant is clean":          {doc: Cache(Scope{Bucket: "b"})},
		"cache grant with prefix clean": {doc: Cache(Scope{Bucket: "b", Prefix: "ci/"})},
		"publisher grant is clean":      {doc: Publisher(Scope{Bucket: "b", Prefix: "results"})},
		"wildcards": {
			doc:  Document{Version: Version, Statement: []Statement{{Effect: "Allow", Action: StringList{"s3:*"}, Resource: StringList{"*"}}}},
			want: []string{`statement #0: wildcard action "s3:*"`, `statement #0: wildcard resource "*"`},
		},
		"public principal": {
			doc:  Document{Version: Version, Statement: []Statement{{Sid: "Pub", Effect: "Allow", Principal: &Principal{Any: true}, Action: StringList{"s3:GetObject"}, Resource: StringList{"arn:aws:s3:::b/*"}}}},
			want: []string{`statement Pub: public principal "*"`},
		},
		"object action on the bucket ARN": {
			doc:  Document{Version: Version, Statement: []Statement{{Sid: "S", Effect: "Allow", Action: StringList{"s3:GetObject"}, Resource: StringList{"arn:aws:s3:::b"}}}},
			want: []string{"statement S: object action s3:GetObject on bucket resource arn:aws:s3:::b"},
		},
		"bucket action on objects": {
			doc:  Document{Version: Version, Statement: []Statement{{Sid: "S", Effect: "Allow", Action: StringList{"s3:ListBucket"}, Resource: StringList{"arn:aws:s3:::b/*"}}}},
			want: []string{"statement S: bucket action s3:ListBucket on object resource arn:aws:s3:::b/*"},
		},
		"NotAction": {
			doc:  Document{Version: Version, Statement: []Statement{{Sid: "S", Effect: "Allow", NotAction: StringList{"iam:*"}, Resource: StringList{"arn:aws:s3:::b"}}}},
			want: []string{"statement S: NotAction grants everything else", "statement S: no actions"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, e := range Lint(tc.doc) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestGrantGolden pins the exact documents awsboot sends for each grant.
// UPDATE_GOLDEN=1 rewrites testdata/*.json.
func TestGrantGolden(t *testing.T) {
	for name, doc := range map[string]Document{
		"cache":        Cache(Scope{Bucket: "semaphore-cache"}),
		"cache-prefix": Cache(Scope{Bucket: "semaphore-cache", Prefix: "agents/"}),
		"publisher":    Publisher(Scope{Bucket: "my-result-bucket", Prefix: "bacalhau-managed-publisher"}),
	} {
		t.Run(name, func(t *testing.T) {
			golden.Assert(t, filepath.Join("testdata", name+".json"), doc.JSON()+"\n")
		})
	}
}

func TestScopeARNs(t *testing.T) {
	for _, tc := range []struct{ prefix, want string }{
		{"", "arn:aws:s3:::b/*"},
		{"ci", "arn:aws:s3:::b/ci/*"},
		{"ci/", "arn:aws:s3:::b/ci/*"},
	} {
		if got := (Scope{Bucket: "b", Prefix: tc.prefix}).ObjectARN(); got != tc.want {
			t.Errorf("prefix %q: ObjectARN = %s, want %s", tc.prefix, got, tc.want)
		}
	}
}
