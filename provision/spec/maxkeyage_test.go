package spec

import (
	"strings"
	"testing"
	"time"
)

// TestMaxKeyAge: days from 1d to 3650d on a user entry; anything else is
// reported at the field with its line.
func TestMaxKeyAge(t *testing.T) {
	for value, want := range map[string]string{
		"90d": "", "1d": "", "3650d": "",
		"0d": `s.yaml:5:18: access[0].max_key_age: "0d": use a number of days from 1d to 3650d, like 90d`,
		"90": "use a number of days", "2160h": "use a number of days", "3651d": "use a number of days", "09d": "use a number of days",
	} {
		spec := "version: 1\nstack: s\nbucket: {name: ok-bucket}\naccess:\n  - max_key_age: " + value + "\n    name: c\n    grant: cache\n    user: ci\n    write: {aws_profile: ci}\n"
		s, err := Parse("s.yaml", []byte(spec), Rules{})
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", value, err)
		case want == "" && s.Access[0].MaxKeyAgeDuration() <= 0:
			t.Errorf("%s: duration %s", value, s.Access[0].MaxKeyAgeDuration())
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want %q", value, err, want)
		}
	}
	s, err := Parse("s.yaml", []byte("version: 1\nstack: s\nbucket: {name: ok-bucket}\naccess:\n  - {name: c, grant: cache, user: ci, max_key_age: 90d, write: {aws_profile: ci}}\n"), Rules{})
	if err != nil || s.Access[0].MaxKeyAgeDuration() != 90*24*time.Hour {
		t.Errorf("90d: %v, %v", err, s)
	}
}
