package policies

// WebIdentity describes whom a role trusts: tokens of one OIDC provider
// with one audience and, unless AnySubject, one of the listed subjects.
type WebIdentity struct {
	// ProviderARN is the IAM OIDC provider's ARN.
	ProviderARN string
	// Host is the issuer without https://, the prefix of the condition
	// keys (acme.semaphoreci.com:aud).
	Host            string
	Audience        string
	Subjects        []string
	SubjectPatterns []string
	AnySubject      bool
}

// Trust is the trust policy of a role assumed with sts:AssumeRoleWithWebIdentity:
// the federated principal, that one action, and conditions that pin aud
// (StringEquals) and sub (StringEquals for exact subjects, StringLike for
// patterns, each in its own statement so a pattern never loosens an exact
// match).
func Trust(w WebIdentity) Document {
	stmt := func(sid string, sub Condition) Statement {
		cond := Condition{"StringEquals": {w.Host + ":aud": {w.Audience}}}
		for op, kv := range sub {
			if cond[op] == nil {
				cond[op] = map[string]StringList{}
			}
			for k, v := range kv {
				cond[op][k] = v
			}
		}
		return Statement{
			Sid:       sid,
			Effect:    "Allow",
			Principal: &Principal{Values: map[string]StringList{"Federated": {w.ProviderARN}}},
			Action:    StringList{"sts:AssumeRoleWithWebIdentity"},
			Condition: cond,
		}
	}
	d := Document{Version: Version}
	if w.AnySubject {
		d.Statement = append(d.Statement, stmt("AnySubjectOfIssuer", nil))
		return d
	}
	if len(w.Subjects) > 0 {
		d.Statement = append(d.Statement, stmt("ExactSubjects", Condition{"StringEquals": {w.Host + ":sub": w.Subjects}}))
	}
	if len(w.SubjectPatterns) > 0 {
		d.Statement = append(d.Statement, stmt("SubjectPatterns", Condition{"StringLike": {w.Host + ":sub": w.SubjectPatterns}}))
	}
	return d
}
