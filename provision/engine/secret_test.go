package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestSecretRedacts: no way Go formats or encodes a value shows a Secret,
// alone or inside a struct; only Reveal does.
func TestSecretRedacts(t *testing.T) {
	const value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	s := NewSecret(value)
	holder := struct {
		ID     string
		Secret Secret
	}{"AKIAEXAMPLE", s}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, holder), fmt.Sprintf(verb, &holder))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s), s.String(), s.GoString())
	j, err := json.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := s.MarshalText()
	outs = append(outs, string(j), string(y), string(text))
	for _, out := range outs {
		if strings.Contains(out, value) || strings.Contains(out, fmt.Sprintf("%x", value)) {
			t.Errorf("secret shown: %s", out)
		}
	}
	if !strings.Contains(string(j), `"Secret":"(sensitive value)"`) {
		t.Errorf("JSON = %s, want the redaction", j)
	}
	if s.Reveal() != value || s.IsZero() || !NewSecret("").IsZero() {
		t.Error("Reveal or IsZero is wrong")
	}
}
