package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// options are the parsed flags of plan, bootstrap and teardown.
type options struct {
	mode             engine.Mode
	file             string
	connect          awsapi.ConnectOptions
	autoApprove      bool
	adopt            bool
	deleteData       bool
	json             bool
	detailedExitcode bool
	stats            bool
	noColor          bool
	parallelism      int
	// lock, for bootstrap and teardown, takes the stack's lock for the
	// whole run, waiting up to lockTimeout.
	lock        bool
	lockTimeout time.Duration
	// rotate, non-nil for awsboot rotate, names the access entries whose
	// keys rotate (empty: every user entry).
	rotate []string
	// tokenFile is verify's --web-identity-token-file.
	tokenFile string
	// origin says how --region and --endpoint-url were given ("--region
	// X" or "AWSBOOT_REGION=X"), for the error when they contradict the
	// spec.
	origin map[string]string
}

// stringFlag returns a flag given after the command or, failing that,
// before it (`awsboot --region X plan`): urfave/cli answers c.String from
// the command's own, unset copy of a flag that both levels define.
func stringFlag(c *cli.Context, name string) string {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return ctx.String(name)
		}
	}
	return ""
}

func optionsFrom(c *cli.Context, mode engine.Mode) options {
	return options{
		mode: mode,
		file: c.String(flagFile),
		connect: awsapi.ConnectOptions{
			Profile:  stringFlag(c, flagProfile),
			Region:   stringFlag(c, flagRegion),
			Endpoint: stringFlag(c, flagEndpointURL),
		},
		autoApprove:      c.Bool(flagAutoApprove),
		adopt:            c.Bool(flagAdopt),
		deleteData:       c.Bool(flagDeleteData),
		json:             c.Bool(flagJSON),
		detailedExitcode: c.Bool(flagDetailedExitcode),
		stats:            c.Bool(flagStats),
		noColor:          boolFlag(c, flagNoColor),
		parallelism:      c.Int(flagParallelism),
		lockTimeout:      c.Duration(flagLockTimeout),
		tokenFile:        c.String(flagWebIdentityTokenFile),
		origin:           map[string]string{flagRegion: flagOrigin(c, flagRegion), flagEndpointURL: flagOrigin(c, flagEndpointURL)},
	}
}

func specExit(err error) error {
	return cli.Exit("Error: "+err.Error(), exitError)
}

// buildExit is a failed provision.Build of s: what the spec asks cannot
// be built in this account (a replication destination in another
// partition), so the message names the spec's file.
func buildExit(s *spec.Spec, err error) error {
	return cli.Exit(fmt.Sprintf("Error: %s: %v", s.File, err), exitError)
}

// prepared is a loaded spec's stack with its clients and plan.
type prepared struct {
	stack   *provision.Stack
	clients *awsapi.Clients
	plan    *engine.Plan
	// unlock releases the stack's lock (a no-op when none was taken).
	unlock func()
}

// prepare loads and validates the spec (before any AWS call), connects,
// and makes the plan.
func prepare(ctx context.Context, e env, o options) (*prepared, error) {
	s, err := provision.LoadSpec(o.file)
	if err != nil {
		return nil, specExit(err)
	}
	unlock := func() {}
	if o.lock {
		// Two runs that change one stack would both plan the same
		// creates (two keys for one user): the second waits.
		unlock, err = provision.LockStack(s.Stack, o.lockTimeout, func() {
			fmt.Fprintf(e.stderr, "Waiting for another awsboot run that is changing stack %q (up to %s, --lock-timeout)...\n", s.Stack, o.lockTimeout)
		})
		if errors.Is(err, localfile.ErrLocked) {
			return nil, cli.Exit(fmt.Sprintf("Error: another awsboot run is changing stack %q and did not finish within %s: %v. "+
				"Wait for it, or run again with a longer --lock-timeout", s.Stack, o.lockTimeout, err), exitError)
		}
		if err != nil {
			return nil, err
		}
	}
	p, err := connectAndPlan(ctx, e, o, s)
	if p == nil {
		unlock()
		return nil, err
	}
	p.unlock = unlock
	return p, err
}

// connectAndPlan connects for the spec, builds its stack and plans.
func connectAndPlan(ctx context.Context, e env, o options, s *spec.Spec) (*prepared, error) {
	// Where the profiles go is known before any AWS call.
	files, err := e.files()
	if err != nil {
		return nil, cli.Exit("Error: "+err.Error(), exitError)
	}
	// Only plan and apply need to know whether grants can be managed
	// policies (one iam:ListPolicies on a custom endpoint).
	o.connect.ProbeManagedPolicies = s.PolicyStyle == "auto"
	c, err := connectFor(ctx, e, s, o.connect, o.origin)
	if err != nil {
		return nil, err
	}
	bo := provision.BuildOptions{Files: files, Adopt: o.adopt, DeleteData: o.deleteData}
	if err := setKeyClock(&bo); err != nil {
		return nil, cli.Exit("Error: "+err.Error(), exitError)
	}
	if o.rotate != nil {
		if bo.Rotate, err = rotateSelection(s, o.rotate); err != nil {
			return nil, cli.Exit("Error: "+err.Error(), exitError)
		}
	}
	st, err := provision.Build(s, c.Account, bo)
	if err != nil {
		return nil, buildExit(s, err)
	}
	st.Connect(c)
	po := engine.PlanOptions{Adopt: o.adopt, Parallelism: o.parallelism}
	if e.outIsTerminal() && !o.json {
		// A person watches: say that awsboot is reading, then clear the
		// line. Logs and pipes get only the plan.
		r := &readingLine{w: e.stdout}
		po.Read = r.update
		defer r.clear()
	}
	p, err := st.Plan(ctx, o.mode, po)
	if err != nil {
		return &prepared{stack: st, clients: c, unlock: func() {}}, err
	}
	return &prepared{stack: st, clients: c, plan: p, unlock: func() {}}, nil
}

func planCommand(ctx context.Context, e env, o options) error {
	p, err := prepare(ctx, e, o)
	if p != nil {
		defer p.unlock()
	}
	if p != nil && o.stats {
		defer printStats(e.stderr, p.clients.Calls)
	}
	if err != nil {
		return err
	}
	if o.json {
		if err := RenderJSON(e.stdout, p.plan, p.clients.Calls.Sorted()); err != nil {
			return err
		}
	} else {
		RenderTextColor(e.stdout, p.plan, e.color(o.noColor))
	}
	if o.detailedExitcode && p.plan.HasChanges() {
		return cli.Exit("", exitChanges)
	}
	return nil
}

func applyCommand(ctx context.Context, e env, o options) error {
	o.lock = true
	p, err := prepare(ctx, e, o)
	if p != nil {
		defer p.unlock()
	}
	if p != nil && o.stats {
		defer printStats(e.stderr, p.clients.Calls)
	}
	if err != nil {
		return err
	}
	if err := p.stack.Tidy(); err != nil {
		return err
	}
	if o.rotate != nil {
		// Rotating replaces keys that exist; creating the stack is
		// bootstrap's job, and doing it under rotate would surprise.
		var missing []string
		for _, c := range p.plan.Changes {
			if c.Addr.Kind() == "iam_user" && c.Action == engine.Create {
				missing = append(missing, c.Addr.Name())
			}
		}
		if len(missing) > 0 {
			return cli.Exit(fmt.Sprintf("Error: nothing to rotate: IAM user %s does not exist yet. Run awsboot bootstrap first; it creates the user and its key", strings.Join(missing, ", ")), exitError)
		}
	}
	if o.json {
		renderPlanEvents(e.stdout, p.plan)
	} else {
		RenderTextColor(e.stdout, p.plan, e.color(o.noColor))
	}
	if !p.plan.HasChanges() {
		return nil
	}
	if !o.autoApprove && o.json {
		return cli.Exit("Error: --json needs --auto-approve: the confirmation is for people. Review the plan (awsboot plan --json) first.", exitError)
	}
	if !o.autoApprove {
		if !e.isTerminal() {
			return cli.Exit("Error: not applying without confirmation: standard input is not a terminal. Review the plan above and run again with --auto-approve.", exitError)
		}
		if !confirm(e.stdin, e.stdout, o.mode) {
			return cli.Exit("Cancelled: nothing was changed.", exitError)
		}
	}
	if !o.json {
		fmt.Fprintln(e.stdout)
	}
	add, change, destroy := p.plan.Counts()
	hook := newProgress(e.stdout, e.outIsTerminal(), o.json, add+change+destroy, nil, nil)
	ex := engine.Executor{Parallelism: o.parallelism, Hook: hook}
	err = p.stack.Apply(ctx, p.plan, ex)
	hook.close()
	if err != nil {
		return fmt.Errorf("%w\n\nWhat succeeded stays in place. Fix the cause and run the same command again: it reads what exists and finishes the rest", err)
	}
	if o.json {
		return writeEvent(e.stdout, map[string]any{"type": "apply_summary", "operation": o.mode.String(), "summary": JSONSummary{Add: add, Change: change, Destroy: destroy}})
	}
	word := "Bootstrap"
	switch {
	case o.mode == engine.ModeDestroy:
		word = "Teardown"
	case o.rotate != nil:
		word = "Rotation"
	}
	fmt.Fprintf(e.stdout, "\n%s complete! Resources: %d added, %d changed, %d destroyed.\n", word, add, change, destroy)
	return nil
}

func confirm(in io.Reader, out io.Writer, mode engine.Mode) bool {
	q := "Do you want to perform these actions?"
	if mode == engine.ModeDestroy {
		q = "Do you really want to destroy these resources?"
	}
	fmt.Fprintf(out, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", q)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	return strings.TrimSpace(line) == "yes"
}

func printStats(w io.Writer, calls *awsapi.CallCounter) {
	ops := calls.Sorted()
	total, mutating := 0, 0
	for _, o := range ops {
		total += o.Count
		if o.Mutating {
			mutating += o.Count
		}
	}
	fmt.Fprintf(w, "AWS API calls: %d (%d mutating)\n", total, mutating)
	for _, o := range ops {
		m := ""
		if o.Mutating {
			m = "  (mutating)"
		}
		fmt.Fprintf(w, "  %-45s %4d%s\n", o.Op, o.Count, m)
	}
}

func verifyCommand(ctx context.Context, e env, o options) error {
	s, files, err := loadSpecAndFiles(o.file, e)
	if err != nil {
		return err
	}
	c, err := connectFor(ctx, e, s, o.connect, o.origin)
	if err != nil {
		return err
	}
	checks, err := provision.Verify(ctx, c, s, files, provision.VerifyOptions{TokenFile: o.tokenFile})
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(checks); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCESS\tCHECK\tRESULT")
		for _, ch := range checks {
			res := ch.Result
			if ch.Detail != "" {
				res += ": " + ch.Detail
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.Access, ch.Check, res)
		}
		tw.Flush()
	}
	if provision.Failed(checks) {
		return cli.Exit("Error: verification failed: see the FAIL lines above", exitError)
	}
	if un := provision.Unchecked(checks); len(un) > 0 {
		return cli.Exit(fmt.Sprintf("Error: verification incomplete: nothing was proven for %s (see the NOT CHECKED lines above)", strings.Join(un, ", ")), exitError)
	}
	return nil
}

// connectFor connects with the flags, filling in the spec's region and
// endpoints; a flag (or its AWSBOOT_* variable) that contradicts the spec
// is an error, not a silent choice. origin says how each flag was given.
func connectFor(ctx context.Context, e env, s *spec.Spec, co awsapi.ConnectOptions, origin map[string]string) (*awsapi.Clients, error) {
	for _, f := range []struct {
		flag      string
		set, spec *string
		field     string
	}{
		{flagRegion, &co.Region, &s.Region, "region"},
		{flagEndpointURL, &co.Endpoint, &s.Endpoint, "endpoint"},
	} {
		if *f.spec == "" {
			continue
		}
		if *f.set != "" && *f.set != *f.spec {
			given := origin[f.flag]
			if given == "" {
				given = "--" + f.flag + " " + *f.set
			}
			return nil, cli.Exit(fmt.Sprintf("Error: %s conflicts with %s %s in %s", given, f.field, *f.spec, s.File), exitError)
		}
		*f.set = *f.spec
	}
	co.IAMEndpoint = s.IAMEndpoint
	co.PathStyle = s.PathStyle
	return e.connect(ctx, co)
}

// loadOffline loads a spec and builds its graph for the account the spec
// implies, without any AWS call: validate and explain check the same
// graph plan and bootstrap use.
func loadOffline(file string, e env) (*provision.Stack, error) {
	s, files, err := loadSpecAndFiles(file, e)
	if err != nil {
		return nil, err
	}
	st, err := provision.Offline(s, provision.BuildOptions{Files: files})
	if err != nil {
		return nil, buildExit(s, err)
	}
	return st, nil
}

// loadSpecAndFiles loads and validates the spec (before any AWS call)
// and learns where the shared AWS files are, with the CLI's errors.
func loadSpecAndFiles(file string, e env) (*spec.Spec, consumers.AWSFiles, error) {
	s, err := provision.LoadSpec(file)
	if err != nil {
		return nil, consumers.AWSFiles{}, specExit(err)
	}
	files, err := e.files()
	if err != nil {
		return nil, consumers.AWSFiles{}, cli.Exit("Error: "+err.Error(), exitError)
	}
	return s, files, nil
}
