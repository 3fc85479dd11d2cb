package provision

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision/golden"
)

// TestExplainGolden pins `awsboot explain` for every example
// (testdata/explain/*.golden; UPDATE_GOLDEN=1 rewrites them): a reviewer
// reads these instead of JSON, so a change in what they say is reviewed.
func TestExplainGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			s, err := LoadSpec(f)
			if err != nil {
				t.Fatal(err)
			}
			st, err := Offline(s, BuildOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := Explain(&b, st); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "testdata/explain/"+name+".golden", b.String())
		})
	}
}
