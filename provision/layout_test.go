package provision

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/awsboot/awsboot/"

// importRules are the layering of docs/architecture.md ("Packages and
// what they may import"): for each package, the module packages it may
// import directly (nil: none) and whether it may import the AWS SDK.
var importRules = map[string]struct {
	module []string
	sdk    bool
}{
	"provision/engine":    {},
	"provision/localfile": {},
	"policies":            {},
	"templates":           {},
	"provision/spec":      {module: []string{"provision/engine", "policies", "provision/localfile"}},
	"provision/awsapi":    {module: []string{"provision/engine"}, sdk: true},
	"provision/awskinds":  {module: []string{"provision/engine", "provision/awsapi", "policies"}, sdk: true},
	"provision/consumers": {module: []string{"provision/engine", "provision/spec", "provision/localfile", "provision/awskinds", "templates"}},
	"provision": {module: []string{"provision/engine", "provision/spec", "provision/awsapi", "provision/awskinds",
		"provision/consumers", "provision/localfile", "policies"}, sdk: true},
	// The CloudFormation exporter: the stack's kinds as a template
	// (goformation's types, not the AWS SDK).
	"provision/cfnexport": {module: []string{"provision", "provision/engine", "provision/awsapi", "provision/awskinds",
		"provision/consumers", "provision/spec", "policies"}},
	// The CLI wires; it renders plans itself and needs no SDK package.
	"cmd/awsboot": {module: []string{"provision", "provision/engine", "provision/spec", "provision/awsapi",
		"provision/consumers", "provision/localfile", "provision/cfnexport"}},
	// The demo drives the built binary and checks results with the SDK.
	"cmd/awsboot-demo":              {module: []string{"provision/mototest"}, sdk: true},
	"policies/policytest":           {module: []string{"policies"}},
	"provision/golden":              {},
	"provision/localfile/cachetest": {},
	"provision/faultproxy":          {},
	"provision/mototest":            {},
	"provision/versitytest":         {},
	// make bench's round-trip driver starts moto through mototest.
	"bench/roundtrips": {module: []string{"provision/mototest"}},
}

// modulePackages lists the module's packages (directories holding a
// non-test Go file), relative to the module root.
func modulePackages(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			rel, err := filepath.Rel("..", filepath.Dir(p))
			if err != nil {
				return err
			}
			if !slices.Contains(out, filepath.ToSlash(rel)) {
				out = append(out, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportRules enforces the layering for every package of the module
// (a new package without a rule fails): the engine imports nothing but
// the standard library (so no AWS SDK), AWS kinds never import consumers
// or the spec (they take typed configs), consumers and the CLI import no
// SDK package. Test files are not checked.
func TestImportRules(t *testing.T) {
	pkgs := modulePackages(t)
	for _, pkg := range pkgs {
		if _, ok := importRules[pkg]; !ok {
			t.Errorf("package %s has no import rule: add it to importRules and docs/architecture.md", pkg)
		}
	}
	if len(pkgs) < len(importRules) {
		t.Errorf("found %d packages, fewer than the %d rules: %v", len(pkgs), len(importRules), pkgs)
	}
	for pkg, rule := range importRules {
		p, err := build.Default.Import(strings.TrimSuffix(module+pkg, "/."), ".", 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(imp, module):
				if !slices.Contains(rule.module, strings.TrimPrefix(imp, module)) {
					t.Errorf("%s imports %s, which the layering forbids", pkg, imp)
				}
			case strings.HasPrefix(imp, "github.com/aws/"):
				if !rule.sdk {
					t.Errorf("%s imports the AWS SDK (%s)", pkg, imp)
				}
			case !strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
				// The standard library.
			case pkg == "provision/engine" || pkg == "provision/localfile" && !localfileLibraries(imp):
				t.Errorf("%s imports %s: it may import only the standard library (localfile: and its YAML, TOML and file-lock libraries)", pkg, imp)
			}
		}
	}
}

// localfileLibraries are the third-party packages the file editors use:
// yaml.v3, go-toml v2 (and its position-aware unstable parser) and
// gofrs/flock.
func localfileLibraries(imp string) bool {
	return imp == "gopkg.in/yaml.v3" || imp == "github.com/gofrs/flock" ||
		imp == "github.com/pelletier/go-toml/v2" || strings.HasPrefix(imp, "github.com/pelletier/go-toml/v2/")
}
