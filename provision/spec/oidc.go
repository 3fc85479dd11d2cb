package spec

import (
	"fmt"
	"net/url"
	"regexp"
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
	// Semaphore and GitHub are presets that fill in issuer, audience and
	// subjects for the common cases.
	Semaphore *SemaphoreOIDC `yaml:"semaphore"`
	GitHub    *GitHubOIDC    `yaml:"github"`
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

const (
	githubIssuer   = "https://token.actions.githubusercontent.com"
	githubAudience = "sts.amazonaws.com"
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
	if o.Audience == "" {
		switch host := IssuerHost(o.Issuer); {
		case strings.HasSuffix(host, ".semaphoreci.com"):
			o.Audience = strings.TrimSuffix(o.Issuer, "/")
		case host == "token.actions.githubusercontent.com":
			o.Audience = githubAudience
		}
	}
}

// tokenAudience is the aud claim an issuer always puts in its tokens,
// when it has a fixed one: Semaphore's is the organisation URL, without a
// trailing slash (docs.semaphoreci.com, "OpenID Connect"). GitHub lets a
// workflow choose the audience, so it has none fixed.
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
	if o.Semaphore != nil && o.GitHub != nil {
		v.Errorf(p("oidc"), "use one preset, semaphore or github")
	}
	v.validatePresets(o, p)
	u, err := url.Parse(o.Issuer)
	switch {
	case o.Issuer == "":
		v.Errorf(p("oidc", "issuer"), "is required (or use a preset: oidc: {semaphore: {...}} or oidc: {github: {...}})")
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
	if len(o.Subjects)+len(o.SubjectPatterns) == 0 {
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
		if o.Semaphore != nil || o.GitHub != nil {
			// Patterns made by a preset are located at the preset.
			if _, ok := v.Node(path...); !ok {
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
