package provision

import (
	"go/build"
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
	"provision/spec":      {module: []string{"provision/engine", "policies"}},
	"provision/awsapi":    {module: []string{"provision/engine"}, sdk: true},
	"provision/awskinds":  {module: []string{"provision/engine", "provision/awsapi", "policies"}, sdk: true},
	"provision/consumers": {module: []string{"provision/engine", "provision/spec", "provision/localfile", "provision/awskinds", "templates"}},
	"provision": {module: []string{"provision/engine", "provision/spec", "provision/awsapi", "provision/awskinds",
		"provision/consumers", "provision/localfile", "policies"}, sdk: true},
}

// TestImportRules enforces the layering: the engine imports nothing but
// the standard library (so no AWS SDK), AWS kinds never import consumers
// or the spec (they take typed configs), consumers import no SDK package,
// and nothing below provision imports it. Test files are not checked.
func TestImportRules(t *testing.T) {
	for pkg, rule := range importRules {
		p, err := build.Default.Import(module+pkg, ".", 0)
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
			case pkg == "provision/engine" || pkg == "provision/localfile" && imp != "gopkg.in/yaml.v3":
				t.Errorf("%s imports %s: it may import only the standard library", pkg, imp)
			}
		}
	}
}
