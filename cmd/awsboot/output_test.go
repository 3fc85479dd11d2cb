package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
)

// TestOutputForPeopleAndMachines runs the Semaphore cache example on moto
// and checks each output form: on a terminal, plan says Reading... and
// clears it; off a terminal there is no control code at all; bootstrap
// and teardown --json print one JSON event per line, and need
// --auto-approve.
func TestOutputForPeopleAndMachines(t *testing.T) {
	_, home := motoHome(t, nil)
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "semaphore-cache.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(home, "spec.yaml")
	if err := os.WriteFile(spec, data, 0o644); err != nil {
		t.Fatal(err)
	}
	awsboot := func(terminal bool, args ...string) (string, int) {
		var out, errOut bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, isTerminal: func() bool { return false },
			stdoutTerminal: func() bool { return terminal }, connect: awsapi.Connect, files: consumers.DefaultAWSFiles}
		code := run(append([]string{"awsboot"}, args...), e)
		return out.String() + errOut.String(), code
	}
	jsonEvents := func(out string) map[string]int {
		t.Helper()
		types := map[string]int{}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("not one JSON event per line: %q", l)
			}
			types[ev["type"].(string)]++
		}
		return types
	}

	out, code := awsboot(true, "plan", "-f", spec)
	if code != 0 || !strings.Contains(out, "Reading... 1 of ") || !strings.Contains(out, "\r\033[K") {
		t.Errorf("plan on a terminal (exit %d) does not show Reading...:\n%q", code, out)
	}
	out, _ = awsboot(false, "plan", "-f", spec)
	if strings.Contains(out, "Reading") || strings.ContainsAny(out, "\r\033") {
		t.Errorf("plan off a terminal shows the status line:\n%q", out)
	}

	out, code = awsboot(false, "bootstrap", "-f", spec, "--json")
	if code != exitError || !strings.Contains(out, "--json needs --auto-approve") {
		t.Errorf("bootstrap --json without --auto-approve (exit %d):\n%s", code, out)
	}
	out, code = awsboot(false, "bootstrap", "-f", spec, "--json", "--auto-approve")
	if code != 0 {
		t.Fatalf("bootstrap --json: exit %d\n%s", code, out)
	}
	types := jsonEvents(out)
	if types["planned_change"] == 0 || types["change_summary"] != 1 || types["apply_start"] != types["planned_change"] ||
		types["apply_complete"] != types["planned_change"] || types["apply_summary"] != 1 {
		t.Errorf("bootstrap --json events: %v\n%s", types, out)
	}
	out, code = awsboot(true, "teardown", "-f", spec, "--json", "--auto-approve")
	if code != 0 || strings.ContainsAny(out, "\r\033") {
		t.Fatalf("teardown --json on a terminal: exit %d, or control codes in JSON\n%q", code, out)
	}
	if types := jsonEvents(out); types["apply_complete"] == 0 || types["apply_summary"] != 1 {
		t.Errorf("teardown --json events: %v", types)
	}
}
