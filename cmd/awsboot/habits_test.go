package main

import "testing"

func TestSuggest(t *testing.T) {
	commands := []string{"plan", "bootstrap", "apply", "teardown", "destroy", "verify", "explain", "validate", "version", "help", "h"}
	for given, want := range map[string]string{
		"plna":       "plan",
		"pln":        "plan",
		"PLAN":       "plan",
		"bootstarp":  "bootstrap",
		"boot":       "bootstrap",
		"destory":    "destroy",
		"verfy":      "verify",
		"valdate":    "validate",
		"versoin":    "version",
		"x":          "",
		"hh":         "",
		"frobnicate": "",
		"show":       "",
	} {
		if got := suggest(given, commands); got != want {
			t.Errorf("suggest(%q) = %q, want %q", given, got, want)
		}
	}
	flags := []string{"file", "f", "parallelism", "stats", "json", "detailed-exitcode", "adopt", "no-color"}
	for given, want := range map[string]string{
		"detailed-exitcod": "detailed-exitcode",
		"detailedexitcode": "detailed-exitcode",
		"jsno":             "json",
		"no-colour":        "no-color",
		"parralelism":      "parallelism",
		"g":                "",
	} {
		if got := suggest(given, flags); got != want {
			t.Errorf("suggest(%q) = %q, want %q", given, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"plan", "plan", 0}, {"plna", "plan", 1}, {"pan", "plan", 1},
		{"plam", "plan", 1}, {"kitten", "sitting", 3}, {"", "abc", 3},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
