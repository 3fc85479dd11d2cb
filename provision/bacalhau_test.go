package provision

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/golden"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// A realistic orchestrator config, as a Bacalhau operator would have it.
const orchestratorConfig = `# Bacalhau orchestrator
NameProvider: puuid
API:
  Host: 0.0.0.0
  Port: 1234
Orchestrator:
  Enabled: true
  Auth:
    Token: "orchestrator-secret"
Publishers:
  Types:
    Local:
      Address: 127.0.0.1
      Port: 6001
JobDefaults:
  Batch:
    Task:
      Publisher:
        Type: s3managed
`

// TestBacalhauFiles: the orchestrator config and flags written for the
// example match golden files, load with Bacalhau's documented key names,
// keep every other key of an existing config, and teardown removes only
// the publisher block.
func TestBacalhauFiles(t *testing.T) {
	e := newTestEnv(t)
	cfgPath := filepath.Join(e.dir, "orchestrator.yaml")
	writeFile(t, cfgPath, orchestratorConfig)
	s := e.spec("bacalhau-publisher.yaml")
	e.apply(s, engine.ModeApply, runOpts{})

	got := strings.ReplaceAll(readFile(t, cfgPath), e.endpoint, "$ENDPOINT")
	golden.Assert(t, "testdata/bacalhau/orchestrator.yaml.golden", got)
	flags := strings.ReplaceAll(readFile(t, filepath.Join(e.dir, "bacalhau-serve.flags")), e.endpoint, "$ENDPOINT")
	golden.Assert(t, "testdata/bacalhau/bacalhau-serve.flags.golden", flags)

	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, cfgPath)), &cfg); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = cfg
		for _, k := range path {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}
	want := map[string]any{"Bucket": "my-result-bucket", "Key": "bacalhau-managed-publisher", "Region": "us-east-1", "Endpoint": e.endpoint, "PreSignedURLExpiration": "1h"}
	if diff := cmp.Diff(want, get("Publishers", "Types", "S3Managed")); diff != "" {
		t.Errorf("S3Managed (-want +got):\n%s", diff)
	}
	if get("NameProvider") != "puuid" || get("API", "Host") != "0.0.0.0" || get("Orchestrator", "Auth", "Token") != "orchestrator-secret" ||
		get("Publishers", "Types", "Local", "Port") != 6001 || get("JobDefaults", "Batch", "Task", "Publisher", "Type") != "s3managed" {
		t.Errorf("other keys were not kept: %v", cfg)
	}
	for _, line := range strings.Split(strings.TrimSpace(flags), "\n") {
		if !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "-c Publishers.Types.S3Managed.") {
			t.Errorf("flags line %q", line)
		}
	}

	e.apply(s, engine.ModeDestroy, runOpts{})
	var after map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, cfgPath)), &after); err != nil {
		t.Fatal(err)
	}
	var before map[string]any
	_ = yaml.Unmarshal([]byte(orchestratorConfig), &before)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("teardown did not restore the config (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "bacalhau-serve.flags")); !os.IsNotExist(err) {
		t.Errorf("flags file left: %v", err)
	}
}

// TestForeignBacalhauPublisherNeedsAdopt: an orchestrator config whose
// S3 managed publisher already points at another bucket is someone
// else's setup: plan refuses it naming --adopt, teardown leaves it, and
// --adopt takes it over.
func TestForeignBacalhauPublisherNeedsAdopt(t *testing.T) {
	e := newTestEnv(t)
	cfgPath := filepath.Join(e.dir, "orchestrator.yaml")
	foreign := strings.Replace(orchestratorConfig, "      Port: 6001\n", "      Port: 6001\n    S3Managed:\n      Bucket: their-results\n      Key: jobs\n      Region: eu-west-1\n", 1)
	writeFile(t, cfgPath, foreign)
	s := e.spec("bacalhau-publisher.yaml")
	_, err := e.plan(s, engine.ModeApply, runOpts{})
	if !errors.Is(err, engine.ErrNotOwned) || !strings.Contains(err.Error(), "bacalhau_config.orchestrator") || !strings.Contains(err.Error(), "--adopt") {
		t.Fatalf("plan over another bucket's publisher: %v", err)
	}
	if p, err := e.plan(s, engine.ModeDestroy, runOpts{}); err != nil || readFile(t, cfgPath) != foreign {
		t.Fatalf("teardown plan: %v, %v", p, err)
	}
	e.apply(s, engine.ModeApply, runOpts{adopt: true})
	if got := readFile(t, cfgPath); !strings.Contains(got, `Bucket: "my-result-bucket"`) || strings.Contains(got, "their-results") {
		t.Errorf("--adopt did not take the publisher over:\n%s", got)
	}
}
