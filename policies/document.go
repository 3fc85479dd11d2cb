package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
)

// Version is the IAM policy language version every document uses.
const Version = "2012-10-17"

// StringList is a JSON value that IAM accepts either as a single string or
// as an array of strings. It always marshals as an array.
type StringList []string

// UnmarshalJSON accepts a string or an array of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("expected a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

// Principal is the principal block of a statement: either the literal "*"
// (Any) or a map such as {"Federated": [...]} or {"AWS": [...]}.
type Principal struct {
	Any    bool
	Values map[string]StringList
}

// MarshalJSON writes "*" for Any, else the map.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Any {
		return []byte(`"*"`), nil
	}
	return json.Marshal(p.Values)
}

// UnmarshalJSON reads "*" or a map of string lists.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "*" {
			return fmt.Errorf("principal %q: only \"*\" may be written as a plain string", s)
		}
		p.Any = true
		return nil
	}
	return json.Unmarshal(b, &p.Values)
}

// Condition maps an operator (StringEquals, StringLike, ...) to condition
// keys and their allowed values.
type Condition map[string]map[string]StringList

// Statement is one statement of a policy document.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    StringList `json:"Action,omitempty"`
	NotAction StringList `json:"NotAction,omitempty"`
	Resource  StringList `json:"Resource,omitempty"`
	Condition Condition  `json:"Condition,omitempty"`
}

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Parse reads a policy document. IAM returns documents URL-encoded
// (GetPolicyVersion, GetRole), so an encoded document is decoded first.
func Parse(s string) (Document, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "%") {
		dec, err := url.QueryUnescape(s)
		if err != nil {
			return Document{}, fmt.Errorf("url-decoding policy document: %w", err)
		}
		s = dec
	}
	var d Document
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Document{}, fmt.Errorf("parsing policy document: %w", err)
	}
	return d, nil
}

// JSON returns the document as indented JSON with a stable layout: the
// form awsboot sends to AWS, writes to files and compares in golden tests.
func (d Document) JSON() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		// Document holds only strings, slices and maps of them.
		panic(fmt.Sprintf("encoding policy document: %v", err))
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// normalized returns a copy in which the parts IAM treats as unordered are
// sorted and action names (case-insensitive in IAM) are lower-cased, so
// two documents that grant the same thing compare equal.
func (d Document) normalized() Document {
	out := Document{Version: d.Version}
	for _, s := range d.Statement {
		n := Statement{
			Sid:       s.Sid,
			Effect:    s.Effect,
			Action:    sortedLower(s.Action),
			NotAction: sortedLower(s.NotAction),
			Resource:  sorted(s.Resource),
		}
		if s.Principal != nil {
			p := Principal{Any: s.Principal.Any}
			if len(s.Principal.Values) > 0 {
				p.Values = map[string]StringList{}
				for k, v := range s.Principal.Values {
					p.Values[k] = sorted(v)
				}
			}
			n.Principal = &p
		}
		if len(s.Condition) > 0 {
			n.Condition = Condition{}
			for op, kv := range s.Condition {
				m := map[string]StringList{}
				for k, v := range kv {
					// Condition keys are case-insensitive; values are not.
					m[strings.ToLower(k)] = sorted(v)
				}
				n.Condition[op] = m
			}
		}
		out.Statement = append(out.Statement, n)
	}
	sort.SliceStable(out.Statement, func(i, j int) bool {
		return out.Statement[i].sortKey() < out.Statement[j].sortKey()
	})
	return out
}

func (s Statement) sortKey() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Equal reports whether two documents grant the same thing: statement order,
// the order of actions and resources, the case of action names and whether
// a single value is written as a string or a one-element list do not matter.
func Equal(a, b Document) bool {
	return reflect.DeepEqual(a.normalized(), b.normalized())
}

func sorted(l StringList) StringList {
	if len(l) == 0 {
		return nil
	}
	out := append(StringList(nil), l...)
	sort.Strings(out)
	return out
}

func sortedLower(l StringList) StringList {
	if len(l) == 0 {
		return nil
	}
	out := make(StringList, len(l))
	for i, v := range l {
		out[i] = strings.ToLower(v)
	}
	sort.Strings(out)
	return out
}
