package localfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestYAMLMapping(t *testing.T) {
	path := []string{"Publishers", "Types", "S3Managed"}
	kv := [][2]string{{"Bucket", "b"}, {"Key", "k"}}
	tests := map[string]struct {
		in, set, removed string
	}{
		"empty file": {
			in:      "",
			set:     "Publishers:\n  Types:\n    S3Managed:\n      Bucket: \"b\"\n      Key: \"k\"\n",
			removed: "",
		},
		"siblings kept, values updated": {
			in:      "A: 1\nPublishers:\n  Types:\n    Local: {Port: 6001}\n    S3Managed:\n      Bucket: old\n      Extra: x\n",
			set:     "A: 1\nPublishers:\n  Types:\n    Local: {Port: 6001}\n    S3Managed:\n      Bucket: \"b\"\n      Extra: x\n      Key: \"k\"\n",
			removed: "A: 1\nPublishers:\n  Types:\n    Local: {Port: 6001}\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := SetYAMLMapping([]byte(tc.in), path, kv)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.set, string(got)); diff != "" {
				t.Errorf("set (-want +got):\n%s", diff)
			}
			again, err := SetYAMLMapping(got, path, kv)
			if err != nil || string(again) != string(got) {
				t.Errorf("setting the same values again changed the file: %v", err)
			}
			vals, ok, err := YAMLMapping(got, path)
			if err != nil || !ok || vals["Bucket"] != "b" || vals["Key"] != "k" {
				t.Errorf("read back %v %v %v", vals, ok, err)
			}
			rm, err := RemoveYAMLMapping(got, path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.removed, string(rm)); diff != "" {
				t.Errorf("removed (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := SetYAMLMapping([]byte("Publishers: [a]\n"), path, kv); err == nil {
		t.Error("replaced a list with a mapping")
	}
	if _, err := SetYAMLMapping([]byte("- a\n"), path, kv); err == nil {
		t.Error("accepted a document that is not a mapping")
	}
}
