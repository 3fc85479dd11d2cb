package cfnexport_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/awslabs/goformation/v7/schema"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/cfnexport"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/golden"
	"github.com/awsboot/awsboot/provision/spec"
)

// files are the AWS files' places the tests give; the template never
// holds them.
var files = consumers.AWSFiles{Config: "/home/ci/.aws/config", Credentials: "/home/ci/.aws/credentials"}

func examples(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	return paths
}

// load loads the spec at path; with suffix, as if it said
// bucket.name_suffix: account_id.
func load(t *testing.T, path string, suffix bool) *spec.Spec {
	t.Helper()
	s, err := provision.LoadSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	if suffix {
		s.Bucket.NameSuffix = spec.NameSuffixAccountID
	}
	return s
}

// offline builds the spec's stack as export does.
func offline(t *testing.T, s *spec.Spec) *provision.Stack {
	t.Helper()
	st, err := cfnexport.Offline(s, provision.BuildOptions{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func export(t *testing.T, path string) (*spec.Spec, *cfnexport.Result, []byte) {
	t.Helper()
	return exportSpec(t, load(t, path, false))
}

func exportSpec(t *testing.T, s *spec.Spec) (*spec.Spec, *cfnexport.Result, []byte) {
	t.Helper()
	res, err := cfnexport.Export(offline(t, s), files)
	if err != nil {
		t.Fatalf("Export(%s): %v", s.File, err)
	}
	j, err := res.Template.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return s, res, j
}

// TestExportGoldens checks the YAML template of every example against its
// golden file (UPDATE_GOLDEN=1 rewrites them), and that the JSON and
// YAML forms hold the same template.
func TestExportGoldens(t *testing.T) {
	for _, path := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, res, j := export(t, path)
			y, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", name+".cfn.yaml.golden"), string(y))
			var fromJSON, fromYAML any
			if err := json.Unmarshal(j, &fromJSON); err != nil {
				t.Fatal(err)
			}
			if err := yamlToJSON(y, &fromYAML); err != nil {
				t.Fatal(err)
			}
			if a, b := canonical(t, fromJSON), canonical(t, fromYAML); a != b {
				t.Errorf("the JSON and YAML templates differ:\n%s\n%s", a, b)
			}
		})
	}
}

var (
	schemaOnce sync.Once
	cfnSchema  *gojsonschema.Schema
	schemaErr  error
)

// cloudFormationSchema is the JSON schema of CloudFormation templates
// goformation carries (schema.CloudformationSchema, generated from AWS's
// resource specification): every resource type and property it knows,
// the required ones, and no other.
func cloudFormationSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		cfnSchema, schemaErr = gojsonschema.NewSchema(gojsonschema.NewStringLoader(schema.CloudformationSchema))
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return cfnSchema
}

// TestExportMatchesSchema validates every example's template, its
// intrinsic functions resolved for one account, against the schema
// (which, as goformation's own tests say, does not accept intrinsic
// functions in place of values).
func TestExportMatchesSchema(t *testing.T) {
	sch := cloudFormationSchema(t)
	for _, path := range examples(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, _, j := export(t, path)
			for _, create := range []string{"true", "false"} {
				resolved := resolve(t, j, account{ID: "123456789012", Partition: "aws", Region: "eu-west-1", Stack: "StackSet-ci-1"}, create)
				r, err := sch.Validate(gojsonschema.NewGoLoader(resolved))
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range r.Errors() {
					t.Errorf("schema (Create…=%s): %s", create, e)
				}
			}
		})
	}
}

// TestSchemaCatchesMistakes shows that the schema check can fail: an
// unknown property, a missing required one and an unknown type.
func TestSchemaCatchesMistakes(t *testing.T) {
	sch := cloudFormationSchema(t)
	for name, tmpl := range map[string]string{
		"unknown property": `{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketNam": "x"}}}}`,
		"missing required": `{"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"ManagedPolicyName": "x"}}}}`,
		"unknown type":     `{"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicyy", "Properties": {}}}}`,
	} {
		r, err := sch.Validate(gojsonschema.NewStringLoader(tmpl))
		if err != nil {
			t.Fatal(err)
		}
		if r.Valid() {
			t.Errorf("%s: the schema accepts %s", name, tmpl)
		}
	}
}

// TestExportHoldsNoSecret: no access key resource, no secret-looking
// value, no key ID, and no trace of the offline account's ID.
func TestExportHoldsNoSecret(t *testing.T) {
	forbidden := regexp.MustCompile(`(?i)secret_?access_?key|aws_access_key_id|AWS::IAM::AccessKey|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|` + awsapi.UnknownAccountID)
	for _, path := range examples(t) {
		_, res, j := export(t, path)
		y, _ := res.YAML()
		for _, text := range []string{string(j), string(y)} {
			if m := forbidden.FindString(text); m != "" {
				t.Errorf("%s: the template holds %q", path, m)
			}
		}
	}
}

// TestExportDocumentsEqualAwsboot resolves each example's template for
// one account and compares every policy document and trust policy,
// after canonical JSON, with those awsboot builds for that account and
// the bucket's name in it: the template makes what bootstrap makes.
func TestExportDocumentsEqualAwsboot(t *testing.T) {
	acct := account{ID: "210987654321", Partition: "aws", Region: "us-east-1", Stack: "StackSet-ci-2"}
	for _, path := range examples(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			// The same spec, with the bucket named as the template names
			// it, for the template and for awsboot's own stack.
			s, _, j := exportSpec(t, load(t, path, true))
			resolved := resolve(t, j, acct, "true").(map[string]any)
			resources := resolved["Resources"].(map[string]any)
			st, err := provision.Build(s, awsapi.Account{ID: acct.ID, Partition: acct.Partition, Region: acct.Region}, provision.BuildOptions{Files: files})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]policies.Document{}
			for _, k := range st.Kinds() {
				switch k := k.(type) {
				case *awskinds.IAMPolicy:
					want["AWS::IAM::ManagedPolicy "+k.Config().Name] = k.Config().Document
				case *awskinds.IAMInlinePolicy:
					want["AWS::IAM::Policy "+k.Config().Name] = k.Config().Document
				case *awskinds.IAMRole:
					want["AWS::IAM::Role "+k.Config().Name] = k.Config().Trust
				case *awskinds.S3BucketPolicy:
					if len(k.Config().Document.Statement) > 0 {
						want["AWS::S3::BucketPolicy"] = k.Config().Document
					}
				}
			}
			got := map[string]any{}
			for _, r := range resources {
				r := r.(map[string]any)
				props := r["Properties"].(map[string]any)
				switch typ := r["Type"].(string); typ {
				case "AWS::IAM::ManagedPolicy":
					got[typ+" "+props["ManagedPolicyName"].(string)] = props["PolicyDocument"]
				case "AWS::IAM::Policy":
					got[typ+" "+props["PolicyName"].(string)] = props["PolicyDocument"]
				case "AWS::IAM::Role":
					got[typ+" "+props["RoleName"].(string)] = props["AssumeRolePolicyDocument"]
				case "AWS::S3::BucketPolicy":
					got[typ] = props["PolicyDocument"]
				}
			}
			if len(got) != len(want) {
				t.Errorf("documents: template has %v, awsboot %v", keys(got), keys(want))
			}
			for name, doc := range want {
				var w any
				if err := json.Unmarshal([]byte(doc.JSON()), &w); err != nil {
					t.Fatal(err)
				}
				if g, w := canonical(t, got[name]), canonical(t, w); g != w {
					t.Errorf("%s:\ntemplate %s\nawsboot  %s", name, g, w)
				}
			}
		})
	}
}

// TestExportRefuses: specs a template cannot hold fail with
// ErrCannotExport and a message that says why.
func TestExportRefuses(t *testing.T) {
	base := "version: 1\nstack: s\nregion: us-east-1\naccess: [{name: ci, grant: cache, user: ci, write: {aws_profile: ci}}]\n"
	for name, tc := range map[string]struct{ yaml, want string }{
		"S3-compatible endpoint": {base + "endpoint: http://127.0.0.1:7070\nbucket: {name: bbb}\n", "CloudFormation deploys only to AWS"},
		"bucket name too long":   {base + "bucket: {name: " + strings.Repeat("b", 51) + "}\n", "at most 50"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "awsboot.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := cfnexport.Export(offline(t, load(t, path, false)), files)
			if !errors.Is(err, cfnexport.ErrCannotExport) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Export: %v, want ErrCannotExport saying %q", err, tc.want)
			}
		})
	}
}

// TestExportLeavesOutKeysAndFiles: user access leaves its key out and
// says how keys are made; every local file is listed.
func TestExportLeavesOutKeysAndFiles(t *testing.T) {
	_, res, _ := export(t, "../../examples/semaphore-cache.yaml")
	var what []string
	for _, l := range res.LeftOut {
		what = append(what, l.What)
	}
	for _, w := range []string{"iam_access_key.semaphore", "aws_profile.default", "semaphore_agent_config.cache-agent"} {
		if !slices.Contains(what, w) {
			t.Errorf("LeftOut %v lacks %s", what, w)
		}
	}
	hasNote := func(notes []string, part string) bool {
		return slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, part) })
	}
	if !hasNote(res.Notes, "awsboot bootstrap") || !strings.Contains(res.Template.Description, "awsboot bootstrap") {
		t.Errorf("notes %q, description %q: want the per-machine key note in both", res.Notes, res.Template.Description)
	}
	if !hasNote(res.Notes, "add name_suffix: account_id") {
		t.Errorf("notes %q: want the name_suffix note for a spec without it", res.Notes)
	}
	_, res, _ = exportSpec(t, load(t, "../../examples/github-oidc.yaml", true))
	if len(res.Notes) != 0 {
		t.Errorf("role access with name_suffix: notes %q, want none", res.Notes)
	}
}

func keys(m any) []string {
	var out []string
	switch m := m.(type) {
	case map[string]any:
		for k := range m {
			out = append(out, k)
		}
	case map[string]policies.Document:
		for k := range m {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // encoding/json sorts map keys
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// account is what a stack instance of a StackSet resolves the template's
// pseudo parameters to.
type account struct{ ID, Partition, Region, Stack string }

// resolve evaluates the intrinsic functions the exporter writes (Ref,
// Fn::Sub, Fn::GetAtt, Fn::If, Fn::Equals) as CloudFormation would for
// acct, with the parameters at their defaults and every Create…
// parameter set to create; a function it does not know fails the test.
// It is written here, not taken from goformation's intrinsics package,
// which resolves AWS::Partition to nothing.
func resolve(t *testing.T, tmplJSON []byte, acct account, create string) any {
	t.Helper()
	var tmpl map[string]any
	if err := json.Unmarshal(tmplJSON, &tmpl); err != nil {
		t.Fatal(err)
	}
	params := map[string]any{
		"AWS::AccountId": acct.ID, "AWS::Partition": acct.Partition, "AWS::Region": acct.Region,
		"AWS::StackName": acct.Stack, "AWS::URLSuffix": "amazonaws.com",
	}
	ps, _ := tmpl["Parameters"].(map[string]any)
	for name, p := range ps {
		params[name] = p.(map[string]any)["Default"]
		if strings.HasPrefix(name, "Create") {
			params[name] = create
		}
	}
	e := &env{params: params, conds: map[string]any{}}
	e.resources, _ = tmpl["Resources"].(map[string]any)
	var ev func(v any) any
	ev = func(v any) any {
		switch v := v.(type) {
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = ev(e)
			}
			return out
		case map[string]any:
			if len(v) == 1 {
				for k, arg := range v {
					if strings.HasPrefix(k, "Fn::") || k == "Ref" {
						return e.call(t, k, ev(arg))
					}
				}
			}
			out := map[string]any{}
			for k, e := range v {
				out[k] = ev(e)
			}
			return out
		}
		return v
	}
	cs, _ := tmpl["Conditions"].(map[string]any)
	for name, c := range cs {
		e.conds[name] = ev(c)
	}
	delete(tmpl, "Conditions")
	out := map[string]any{}
	for k, v := range tmpl {
		if k == "Resources" {
			rs := map[string]any{}
			for id, r := range v.(map[string]any) {
				r := r.(map[string]any)
				if c, ok := r["Condition"].(string); ok {
					if e.conds[c] != true {
						continue
					}
					delete(r, "Condition")
				}
				rs[id] = ev(r)
			}
			out[k] = rs
			continue
		}
		out[k] = ev(v)
	}
	return out
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// env is what intrinsic functions see: parameters (pseudo ones too),
// resources and evaluated conditions.
type env struct{ params, resources, conds map[string]any }

func (e *env) call(t *testing.T, fn string, arg any) any {
	t.Helper()
	params, resources := e.params, e.resources
	switch fn {
	case "Ref":
		name := arg.(string)
		if v, ok := params[name]; ok {
			return v
		}
		r, ok := resources[name].(map[string]any)
		if !ok {
			t.Fatalf("Ref to unknown %q", name)
		}
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::S3::Bucket":
			return resolveString(t, props["BucketName"], params)
		case "AWS::IAM::User":
			return props["UserName"]
		case "AWS::IAM::Role":
			return props["RoleName"]
		case "AWS::IAM::OIDCProvider":
			return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", params["AWS::Partition"], params["AWS::AccountId"], strings.TrimPrefix(props["Url"].(string), "https://"))
		}
		t.Fatalf("Ref to %s %q: not resolved by this test", r["Type"], name)
	case "Fn::Sub":
		s := arg.(string)
		s = subVar.ReplaceAllStringFunc(s, func(m string) string {
			v, ok := params[m[2:len(m)-1]]
			if !ok {
				t.Fatalf("Fn::Sub %q: unknown %s", s, m)
			}
			return fmt.Sprint(v)
		})
		return strings.ReplaceAll(s, "${!", "${")
	case "Fn::GetAtt":
		a := arg.([]any)
		id := a[0].(string)
		r := resources[id].(map[string]any)
		props := r["Properties"].(map[string]any)
		p, acct := params["AWS::Partition"], params["AWS::AccountId"]
		switch r["Type"] {
		case "AWS::S3::Bucket":
			return fmt.Sprintf("arn:%s:s3:::%s", p, resolveString(t, props["BucketName"], params))
		case "AWS::IAM::Role":
			return fmt.Sprintf("arn:%s:iam::%s:role/%s", p, acct, props["RoleName"])
		case "AWS::IAM::User":
			return fmt.Sprintf("arn:%s:iam::%s:user/%s", p, acct, props["UserName"])
		}
		t.Fatalf("Fn::GetAtt %v: not resolved by this test", a)
	case "Fn::Equals":
		a := arg.([]any)
		return a[0] == a[1]
	case "Fn::If":
		a := arg.([]any)
		if e.conds[a[0].(string)] == true {
			return a[1]
		}
		return a[2]
	}
	t.Fatalf("intrinsic function %s: not written by the exporter", fn)
	return nil
}

func yamlToJSON(y []byte, v *any) error {
	var raw any
	if err := yaml.Unmarshal(y, &raw); err != nil {
		return err
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func resolveString(t *testing.T, v any, params map[string]any) string {
	t.Helper()
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["Fn::Sub"].(string); ok {
			return (&env{params: params}).call(t, "Fn::Sub", s).(string)
		}
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v: not a string", v)
	}
	return s
}

// TestExportYAMLQuotesYAML11Specials: strings that are plain strings in
// YAML 1.2 (yaml.v3) but booleans, numbers, timestamps or the value type
// in YAML 1.1 (CloudFormation's and cfn-lint's readers) are quoted; a
// plain word stays plain.
func TestExportYAMLQuotesYAML11Specials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "awsboot.yaml")
	spec := "version: 1\nstack: s\nregion: us-east-1\nbucket: {name: tagged, tags: {\"=\": \"=\", backup: \"yes\", \"on\": \"Off\", at: \"12:30:45\", n: \"0x10\", f: \".inf\"}}\n" +
		"access: [{name: ci, grant: cache, user: ci, write: {aws_profile: ci}}]\n"
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	_, res, _ := export(t, path)
	y, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`- Key: "="`, `Value: "="`, `Value: "yes"`, `- Key: "on"`, `Value: "Off"`, `Value: "12:30:45"`, `Value: "0x10"`, `Value: ".inf"`, `- Key: backup`} {
		if !strings.Contains(string(y), want) {
			t.Errorf("the YAML lacks %s:\n%s", want, y)
		}
	}
}

// TestExportLogicalIDsFit: a long OIDC issuer gives logical IDs and a
// parameter name within CloudFormation's 255 characters, still unique.
func TestExportLogicalIDsFit(t *testing.T) {
	host := strings.Repeat("a", 58) + "." + strings.Repeat("b", 58) + "." + strings.Repeat("c", 58) + "." + strings.Repeat("d", 58) + ".example.com/" + strings.Repeat("p", 40)
	path := filepath.Join(t.TempDir(), "awsboot.yaml")
	spec := "version: 1\nstack: s\nregion: us-east-1\nbucket: {name: long-ids}\naccess:\n" +
		"  - {name: ci, grant: cache, role: ci, oidc: {issuer: \"https://" + host + "\", audience: sts.amazonaws.com, subjects: [\"x\"]}}\n"
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	_, res, _ := export(t, path)
	names := slices.Collect(maps.Keys(res.Template.Resources))
	names = append(names, slices.Collect(maps.Keys(res.Template.Parameters))...)
	if longest := slices.MaxFunc(names, func(a, b string) int { return len(a) - len(b) }); len(longest) < 240 {
		t.Fatalf("the issuer is too short to test the limit: %q", longest)
	}
	for _, n := range names {
		if len(n) > 255 || !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(n) {
			t.Errorf("logical ID or parameter %q (%d characters)", n, len(n))
		}
	}
}

// TestExportPassesCfnLint runs AWS's CloudFormation linter (cfn-lint,
// which carries the current resource specifications) on every example's
// template, YAML and JSON, when it is installed (pip install cfn-lint);
// the schema check above runs everywhere.
func TestExportPassesCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint): the schema check (TestExportMatchesSchema) still runs")
	}
	dir := t.TempDir()
	var paths []string
	for _, path := range examples(t) {
		_, res, j := export(t, path)
		y, err := res.YAML()
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		for ext, data := range map[string][]byte{".yaml": y, ".json": j} {
			p := filepath.Join(dir, name+ext)
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	out, err := exec.Command(lint, paths...).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}
