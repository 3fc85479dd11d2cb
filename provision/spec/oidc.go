package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// OIDC describes the identity provider a role trusts and which tokens it
// accepts. A token is accepted when its aud claim equals Audience and its
// sub claim equals one of Subjects or matches one of SubjectPatterns.
type OIDC struct {
	// Issuer is the provider URL (https://acme.semaphoreci.com).
	Issuer string `yaml:"issuer"`
	// Audience is the aud claim the role requires.
	Audience string `yaml:"audience"`
	// Subjects are exact sub claims (StringEquals).
	Subjects []string `yaml:"subjects"`
	// SubjectPatterns are sub claims with explicit * or ? wildcards
	// (StringLike); each must keep the org/repo prefix literal.
	SubjectPatterns []string `yaml:"subject_patterns"`
	// Thumbprints are the provider's certificate thumbprints; empty lets
	// AWS secure the connection with its trusted root CAs.
	Thumbprints []string `yaml:"thumbprints"`
	// CustomAudience accepts an audience the issuer is not known to put
	// in its tokens (Semaphore's is always the organisation URL).
	CustomAudience bool `yaml:"custom_audience"`
	// AllowAnySubject lifts the subject checks; Reason must say why.
	AllowAnySubject bool   `yaml:"allow_any_subject"`
	Reason          string `yaml:"reason" spec:"multiline"`
	// Semaphore, GitHub and GitLab are presets that fill in issuer,
	// audience and subjects for the common cases.
	Semaphore *SemaphoreOIDC `yaml:"semaphore"`
	GitHub    *GitHubOIDC    `yaml:"github"`
	GitLab    *GitLabOIDC    `yaml:"gitlab"`
}

// SemaphoreOIDC is the preset for Semaphore's OIDC tokens, whose sub is
// org:<org>:project:<project-id>:repo:<repo>:ref_type:<type>:ref:<ref>.
type SemaphoreOIDC struct {
	Org     string `yaml:"org"`
	Project string `yaml:"project"`
	Repo    string `yaml:"repo"`
	// One of Branch, Tag or PullRequest picks the ref; a * in Branch or
	// Tag makes the subject a pattern.
	Branch      string `yaml:"branch"`
	Tag         string `yaml:"tag"`
	PullRequest bool   `yaml:"pull_request"`
}

// GitHubOIDC is the preset for GitHub Actions tokens, whose sub is
// repo:<owner>/<name>:ref:<ref>, repo:<owner>/<name>:environment:<env> or
// repo:<owner>/<name>:pull_request.
type GitHubOIDC struct {
	Repo        string `yaml:"repo"`
	Branch      string `yaml:"branch"`
	Tag         string `yaml:"tag"`
	Environment string `yaml:"environment"`
	PullRequest bool   `yaml:"pull_request"`
}

// GitLabOIDC is the preset for GitLab CI/CD ID tokens (id_tokens), whose
// sub is project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>,
// the ref's bare name (GitLab docs, "OpenID Connect (OIDC) Authentication
// Using ID Tokens"). One of Branch or Tag picks the ref; a * or ? in it
// makes the subject a pattern.
//
// Protected accepts protected refs only. IAM cannot check a generic
// provider's ref_protected claim, so it goes in sub: the subject ends in
// :ref_protected:true, which GitLab's tokens carry once the project's
// ci_id_token_sub_claim_components is project_path, ref_type, ref,
// ref_protected (GitLab 18.7); without that, the role refuses every job.
//
// DeploymentTier accepts only jobs that deploy to an environment of that
// tier (production, staging, testing, development or other: GitLab's
// deployment tiers). GitLab puts the tier in sub as :deployment_tier:<tier>
// once the project's ci_id_token_sub_claim_components ends in
// deployment_tier (after ref_protected when Protected is set); a job
// without an environment then has no such component, so the role refuses
// it.
//
// Environment is refused: GitLab never puts the environment's name in sub
// (it is not a sub claim component) and IAM cannot check the environment
// claim, so no trust policy can limit a role to one named environment;
// DeploymentTier is the closest GitLab offers.
type GitLabOIDC struct {
	Project        string `yaml:"project"`
	Branch         string `yaml:"branch"`
	Tag            string `yaml:"tag"`
	Environment    string `yaml:"environment"`
	DeploymentTier string `yaml:"deployment_tier"`
	Protected      bool   `yaml:"protected"`
}

// gitlabTiers are GitLab's deployment tiers (GitLab docs, "Environments":
// "Deployment tier of environments").
var gitlabTiers = []string{"production", "staging", "testing", "development", "other"}

const (
	githubIssuer   = "https://token.actions.githubusercontent.com"
	githubAudience = "sts.amazonaws.com"
	// gitlabIssuer is GitLab.com's; a self-managed instance sets issuer.
	gitlabIssuer = "https://gitlab.com"
	// gitlabProtected ends the subject of a protected ref when the
	// project's sub claim components end in ref_protected.
	gitlabProtected = ":ref_protected:true"
)

// expandPresets fills issuer, audience and subjects from a preset, and
// the default audience for the known issuers.
func (o *OIDC) expandPresets() {
	add := func(sub string) {
		if strings.ContainsAny(sub, "*?") {
			o.SubjectPatterns = append(o.SubjectPatterns, sub)
		} else {
			o.Subjects = append(o.Subjects, sub)
		}
	}
	if p := o.Semaphore; p != nil {
		if o.Issuer == "" && p.Org != "" {
			o.Issuer = "https://" + p.Org + ".semaphoreci.com"
		}
		prefix := fmt.Sprintf("org:%s:project:%s:repo:%s:", p.Org, p.Project, p.Repo)
		switch {
		case p.Tag != "":
			add(prefix + "ref_type:tag:ref:refs/tags/" + p.Tag)
		case p.PullRequest:
			add(prefix + "ref_type:pr:ref:*")
		case p.Branch != "":
			add(prefix + "ref_type:branch:ref:refs/heads/" + p.Branch)
		}
	}
	if p := o.GitHub; p != nil {
		if o.Issuer == "" {
			o.Issuer = githubIssuer
		}
		prefix := "repo:" + p.Repo + ":"
		switch {
		case p.Environment != "":
			add(prefix + "environment:" + p.Environment)
		case p.Tag != "":
			add(prefix + "ref:refs/tags/" + p.Tag)
		case p.PullRequest:
			add(prefix + "pull_request")
		case p.Branch != "":
			add(prefix + "ref:refs/heads/" + p.Branch)
		}
	}
	if p := o.GitLab; p != nil {
		if o.Issuer == "" {
			o.Issuer = gitlabIssuer
		}
		prefix := "project_path:" + p.Project + ":"
		suffix := ""
		if p.Protected {
			suffix = gitlabProtected
		}
		if p.DeploymentTier != "" {
			suffix += ":deployment_tier:" + p.DeploymentTier
		}
		switch {
		case p.Environment != "":
			// Refused by validatePresets: no subject can name it.
		case p.Tag != "":
			add(prefix + "ref_type:tag:ref:" + p.Tag + suffix)
		case p.Branch != "":
			add(prefix + "ref_type:branch:ref:" + p.Branch + suffix)
		}
	}
	if o.Audience == "" {
		switch host := IssuerHost(o.Issuer); {
		case strings.HasSuffix(host, ".semaphoreci.com"):
			o.Audience = strings.TrimSuffix(o.Issuer, "/")
		case host == "token.actions.githubusercontent.com":
			o.Audience = githubAudience
		case host == "gitlab.com" || o.GitLab != nil:
			// GitLab's AWS guide ("Configure OpenID Connect in AWS to
			// retrieve temporary credentials") has the provider's
			// audience, and so the jobs' id_tokens aud, be the
			// instance's address: https://, no trailing slash.
			o.Audience = strings.TrimSuffix(o.Issuer, "/")
		}
	}
}

// tokenAudience is the aud claim an issuer always puts in its tokens,
// when it has a fixed one: Semaphore's is the organisation URL, without a
// trailing slash (docs.semaphoreci.com, "OpenID Connect"). GitHub and
// GitLab let a workflow or job choose the audience, so they have none
// fixed.
func tokenAudience(issuer string) (string, bool) {
	if strings.HasSuffix(IssuerHost(issuer), ".semaphoreci.com") {
		return "https://" + IssuerHost(issuer), true
	}
	return "", false
}

// IssuerHost is the issuer URL without scheme: the name IAM gives the
// provider (its ARN ends in oidc-provider/<host/path>) and the prefix of
// its condition keys.
func IssuerHost(issuer string) string {
	return strings.TrimSuffix(strings.TrimPrefix(issuer, "https://"), "/")
}

var (
	thumbprintRe = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	semaphoreSub = regexp.MustCompile(`^org:[^:*?]+:project:[^:*?]+:repo:[^:*?]+:`)
	githubSub    = regexp.MustCompile(`^repo:[^:/*?]+/[^:*?]+:`)
	gitlabSub    = regexp.MustCompile(`^project_path:[^:/*?]+(/[^:/*?]+)+:`)
	gitlabPath   = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)+$`)
	presetName   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// maxThumbprints is IAM's limit of thumbprints on an OIDC provider.
const maxThumbprints = 5

func (v *Validator) validateRole(a Access, p func(...any) []any) {
	if len(a.Role) > 64 || !iamNameRe.MatchString(a.Role) {
		v.Errorf(p("role"), "%q is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)", a.Role)
	}
	if d, err := time.ParseDuration(a.MaxSession); err != nil || d < time.Hour || d > 12*time.Hour || d%time.Second != 0 {
		v.Errorf(p("max_session"), "%q: use a duration from 1h to 12h, like 1h or 90m", a.MaxSession)
	}
	o := a.OIDC
	if o == nil {
		v.Errorf(p("oidc"), "is required with role: say which identity provider and which pipelines may assume it")
		return
	}
	before := v.p.count()
	defer func() {
		// The trust policy's size means something once its parts are right.
		if v.p.count() == before {
			v.trustSize(a, p)
		}
	}()
	if refs(o.Semaphore != nil, o.GitHub != nil, o.GitLab != nil) > 1 {
		v.Errorf(p("oidc"), "use one preset: semaphore, github or gitlab")
	}
	presetProblems := v.p.count()
	v.validatePresets(o, p)
	presetFailed := v.p.count() > presetProblems
	u, err := url.Parse(o.Issuer)
	switch {
	case o.Issuer == "":
		v.Errorf(p("oidc", "issuer"), "is required (or use a preset: oidc: {semaphore: {...}}, oidc: {github: {...}} or oidc: {gitlab: {...}})")
	case err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		v.Errorf(p("oidc", "issuer"), "%q must be an https:// URL without query or fragment", o.Issuer)
	}
	if o.Audience == "" {
		v.Errorf(p("oidc", "audience"), "is required: the role must pin the token's aud claim (Semaphore uses the organisation URL, GitHub sts.amazonaws.com)")
	} else if want, fixed := tokenAudience(o.Issuer); fixed && o.Audience != want && !o.CustomAudience {
		v.Errorf(p("oidc", "audience"), "%q is never the aud of this issuer's tokens, so the role would refuse every job: it is exactly %q (the organisation URL, without a trailing slash); "+
			"write that, or set custom_audience: true if your tokens really carry this value", o.Audience, want)
	}
	if len(o.Thumbprints) > maxThumbprints {
		v.Errorf(p("oidc", "thumbprints"), "lists %d thumbprints: IAM keeps at most %d for an OIDC provider", len(o.Thumbprints), maxThumbprints)
	}
	for i, t := range o.Thumbprints {
		if !thumbprintRe.MatchString(t) {
			v.Errorf(p("oidc", "thumbprints", i), "%q is not a SHA-1 thumbprint (40 hex digits)", t)
		}
	}
	if o.AllowAnySubject {
		if strings.TrimSpace(o.Reason) == "" {
			v.Errorf(p("oidc", "allow_any_subject"), "needs oidc.reason: say why any pipeline of this issuer may assume the role")
		}
		return
	}
	// A preset that could not make its subject has said what it lacks.
	if len(o.Subjects)+len(o.SubjectPatterns) == 0 && !presetFailed {
		v.Errorf(p("oidc", "subjects"), "is required: list the sub claims that may assume the role (any token of the issuer would be accepted otherwise)")
	}
	host := IssuerHost(o.Issuer)
	for i, s := range o.Subjects {
		switch {
		case strings.TrimSpace(s) == "":
			v.Errorf(p("oidc", "subjects", i), "is empty")
		case strings.ContainsAny(s, "*?"):
			v.Errorf(p("oidc", "subjects", i), "%q has a wildcard; subjects are matched exactly, put patterns under subject_patterns", s)
		}
	}
	for i, s := range o.SubjectPatterns {
		path := p("oidc", "subject_patterns", i)
		if o.Semaphore != nil || o.GitHub != nil || o.GitLab != nil {
			// Patterns made by a preset are located at the preset, and
			// not checked again when the preset's fields were refused.
			if _, ok := v.Node(path...); !ok {
				if presetFailed {
					continue
				}
				path = p("oidc")
			}
		}
		switch {
		case !strings.ContainsAny(s, "*?"):
			v.Errorf(path, "%q has no wildcard; put exact values under subjects", s)
		case strings.HasSuffix(host, ".semaphoreci.com") && !semaphoreSub.MatchString(s):
			v.Errorf(path, "%q must start with a literal org:<org>:project:<project-id>:repo:<repo>: so only that project can assume the role", s)
		case host == "token.actions.githubusercontent.com" && !githubSub.MatchString(s):
			v.Errorf(path, "%q must start with a literal repo:<owner>/<name>: so only that repository can assume the role", s)
		case gitlabShaped(host, o, s) && !gitlabSub.MatchString(s):
			v.Errorf(path, "%q must start with a literal project_path:<group>/<project>: so only that project can assume the role", s)
		case strings.IndexAny(s, "*?") < 8:
			v.Errorf(path, "%q lets almost any subject in; keep a literal prefix that names the project or repository", s)
		}
	}
}

func (v *Validator) validatePresets(o *OIDC, p func(...any) []any) {
	if s := o.Semaphore; s != nil {
		for _, f := range []struct{ name, val string }{{"org", s.Org}, {"project", s.Project}, {"repo", s.Repo}} {
			if v.Required(p("oidc", "semaphore", f.name), f.val) && !presetName.MatchString(f.val) {
				v.Errorf(p("oidc", "semaphore", f.name), "%q: no wildcards or separators here", f.val)
			}
		}
		if refs(s.Branch != "", s.Tag != "", s.PullRequest) != 1 {
			v.Errorf(p("oidc", "semaphore"), "choose exactly one of branch, tag or pull_request")
		}
	}
	if g := o.GitHub; g != nil {
		if v.Required(p("oidc", "github", "repo"), g.Repo) && !regexp.MustCompile(`^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$`).MatchString(g.Repo) {
			v.Errorf(p("oidc", "github", "repo"), "%q: write owner/name, without wildcards", g.Repo)
		}
		if refs(g.Branch != "", g.Tag != "", g.Environment != "", g.PullRequest) != 1 {
			v.Errorf(p("oidc", "github"), "choose exactly one of branch, tag, environment or pull_request")
		}
	}
	if g := o.GitLab; g != nil {
		if v.Required(p("oidc", "gitlab", "project"), g.Project) && !gitlabPath.MatchString(g.Project) {
			v.Errorf(p("oidc", "gitlab", "project"), "%q: write the project's full path, group/project or group/subgroup/project, without wildcards", g.Project)
		}
		if g.DeploymentTier != "" && !slices.Contains(gitlabTiers, g.DeploymentTier) {
			v.Errorf(p("oidc", "gitlab", "deployment_tier"), "%q is not a GitLab deployment tier: use one of %s", g.DeploymentTier, strings.Join(gitlabTiers, ", "))
		}
		if g.Environment != "" {
			v.Errorf(p("oidc", "gitlab", "environment"), "%q: GitLab never puts the environment's name in the token's sub, and IAM cannot check its environment claim, "+
				"so no trust policy can limit the role to one environment; use deployment_tier (the environment's tier, which GitLab can put in sub) with branch or tag, "+
				"and protected: true to accept protected refs only", g.Environment)
		} else if refs(g.Branch != "", g.Tag != "") != 1 {
			v.Errorf(p("oidc", "gitlab"), "choose exactly one of branch or tag")
		}
		for _, f := range []struct{ name, val, prefix string }{{"branch", g.Branch, "refs/heads/"}, {"tag", g.Tag, "refs/tags/"}} {
			switch {
			case strings.HasPrefix(f.val, "refs/"):
				v.Errorf(p("oidc", "gitlab", f.name), "%q: write the %s's name without %s: GitLab's sub holds the bare name", f.val, f.name, f.prefix)
			case strings.Contains(f.val, ":"):
				v.Errorf(p("oidc", "gitlab", f.name), "%q: a git ref cannot hold a colon", f.val)
			}
		}
	}
}

// gitlabShaped says whether a subject pattern is matched against GitLab
// sub claims: the issuer is GitLab.com or a GitLab preset's, or the
// pattern itself starts like one (a self-managed issuer without preset).
// In StringLike a * matches / and :, so project_path:* or
// project_path:acme/* lets every project (of the group) in.
func gitlabShaped(host string, o *OIDC, s string) bool {
	return host == "gitlab.com" || o.GitLab != nil || strings.HasPrefix(s, "project_path:")
}

func refs(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}

// MaxSessionSeconds is the role's maximum session in seconds.
func (a Access) MaxSessionSeconds() int32 {
	d, _ := time.ParseDuration(a.MaxSession)
	return int32(d / time.Second)
}
