package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
)

// sgrColor matches the colour sequences, not the status line's \r\033[K.
var sgrColor = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestRenderTextColor: with colour on, each symbol is coloured as
// Terraform colours it and nothing else changes; with colour off there
// is no escape sequence at all.
func TestRenderTextColor(t *testing.T) {
	p := &engine.Plan{Mode: engine.ModeApply, Stack: "demo", Changes: []engine.Change{
		{Addr: "iam_user.ci", Action: engine.Create, Diffs: []engine.FieldDiff{{Path: "name", After: "ci"}}},
		{Addr: "s3_bucket.b", Action: engine.Update, Diffs: []engine.FieldDiff{
			{Path: "tags.team", Before: "a", After: "b"},
			{Path: "tags.old", Before: "x"},
			{Path: "tags.new", After: "y"},
		}},
		{Addr: "iam_policy.p", Action: engine.Delete},
	}}
	var plain, colored bytes.Buffer
	RenderTextColor(&plain, p, false)
	RenderTextColor(&colored, p, true)
	if strings.Contains(plain.String(), "\x1b") {
		t.Errorf("colour off, yet escape codes:\n%q", plain.String())
	}
	var legacy bytes.Buffer
	RenderText(&legacy, p)
	if legacy.String() != plain.String() {
		t.Errorf("RenderText differs from RenderTextColor with colour off")
	}
	if got := sgrColor.ReplaceAllString(colored.String(), ""); got != plain.String() {
		t.Errorf("colour changes more than the symbols:\n%s\nwant\n%s", got, plain.String())
	}
	for _, want := range []string{
		"  \x1b[32m+\x1b[0m iam_user.ci {\n",
		"      \x1b[32m+\x1b[0m name = \"ci\"\n",
		"  \x1b[33m~\x1b[0m s3_bucket.b {\n",
		"      \x1b[33m~\x1b[0m tags.team = \"a\" -> \"b\"\n",
		"      \x1b[31m-\x1b[0m tags.old  = \"x\" -> null\n",
		"      \x1b[32m+\x1b[0m tags.new  = \"y\"\n",
		"  \x1b[31m-\x1b[0m iam_policy.p\n",
	} {
		if !strings.Contains(colored.String(), want) {
			t.Errorf("coloured plan lacks %q:\n%s", want, colored.String())
		}
	}
}

func TestColorEnabled(t *testing.T) {
	for name, c := range map[string]struct {
		flag     bool
		noColor  string
		terminal bool
		want     bool
	}{
		"terminal":                  {terminal: true, want: true},
		"not a terminal":            {},
		"--no-color":                {flag: true, terminal: true},
		"NO_COLOR=1":                {noColor: "1", terminal: true},
		"NO_COLOR=0 counts as set":  {noColor: "0", terminal: true},
		"NO_COLOR empty is not set": {noColor: "", terminal: true, want: true},
	} {
		if got := colorEnabled(c.flag, c.noColor, c.terminal); got != c.want {
			t.Errorf("%s: colorEnabled = %v, want %v", name, got, c.want)
		}
	}
}

// TestPlanColorOnATerminal runs plan on moto with stdout taken for a
// terminal: coloured by default, plain with --no-color before or after
// the command, AWSBOOT_NO_COLOR or NO_COLOR.
func TestPlanColorOnATerminal(t *testing.T) {
	_, home := motoHome(t, map[string]string{"NO_COLOR": "", "AWSBOOT_NO_COLOR": ""})
	os.Unsetenv("AWSBOOT_NO_COLOR")
	spec := filepath.Join(home, "spec.yaml")
	if err := os.WriteFile(spec, []byte("version: 1\nstack: demo\nbucket: {name: demo-bucket}\naccess:\n  - {name: cache, grant: cache, user: ci, write: {aws_profile: ci}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, isTerminal: func() bool { return false },
			stdoutTerminal: func() bool { return true }, connect: awsapi.Connect, files: consumers.DefaultAWSFiles}
		if code := run(append([]string{"awsboot"}, args...), e); code != 0 {
			t.Fatalf("awsboot %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String()
	}
	if out := plan("plan", "-f", spec); !strings.Contains(out, "\x1b[32m+\x1b[0m iam_user.ci") {
		t.Errorf("plan on a terminal is not coloured:\n%q", out)
	}
	for name, args := range map[string][]string{
		"--no-color after the command":  {"plan", "-f", spec, "--no-color"},
		"--no-color before the command": {"--no-color", "plan", "-f", spec},
	} {
		if out := plan(args...); sgrColor.MatchString(out) || !strings.Contains(out, "+ iam_user.ci") {
			t.Errorf("%s: colour codes or no plan:\n%q", name, out)
		}
	}
	for _, v := range []string{"NO_COLOR", "AWSBOOT_NO_COLOR"} {
		t.Setenv(v, "1")
		if out := plan("plan", "-f", spec); sgrColor.MatchString(out) || !strings.Contains(out, "+ iam_user.ci") {
			t.Errorf("%s=1: colour codes or no plan:\n%q", v, out)
		}
		os.Unsetenv(v)
	}
}
