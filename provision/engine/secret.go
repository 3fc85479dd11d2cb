package engine

import (
	"fmt"
	"io"
)

// redacted is how a Secret shows everywhere.
const redacted = "(sensitive value)"

// Secret holds a secret (an access key's secret) in memory. Every way Go
// formats or encodes a value (String, GoString, every fmt verb, JSON,
// text and YAML marshalling) shows "(sensitive value)"; only Reveal gives
// the value, and only code that writes it to its one file or signs with
// it calls Reveal.
//
// The value sits behind a pointer: fmt cannot call Format on a Secret
// reached through an unexported field (a kind's state inside an
// Observation) and prints its fields by reflection instead, which then
// shows an address, never the secret.
type Secret struct{ p *string }

// NewSecret wraps a secret value.
func NewSecret(v string) Secret { return Secret{p: &v} }

// Reveal returns the secret itself ("" for none).
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether there is no secret.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// String implements fmt.Stringer, redacted.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v), redacted.
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter: every verb prints the redaction.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON implements json.Marshaler, redacted.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler, redacted.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalYAML implements yaml.v3's Marshaler, redacted.
func (Secret) MarshalYAML() (any, error) { return redacted, nil }
