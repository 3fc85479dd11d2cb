//go:build unix

package provision

import (
	"strings"
	"testing"
)

// TestProfileLoaderWithoutDevFD: where the SDK cannot open the pipes
// (no /dev/fd), it reads them as empty files without a word; the loader
// sees that the pipes were not read, and loads every profile from the
// whole files, leaving no descriptor open, even with more in a pipe than
// it holds.
func TestProfileLoaderWithoutDevFD(t *testing.T) {
	old := feedDir
	feedDir = "/nonexistent/fd/"
	defer func() { feedDir = old }()
	large := "[ci]\n" + strings.Repeat("# padding\n", 20000) + "aws_access_key_id = AKIA\naws_secret_access_key = s\n"
	files := writeProfileFiles(t, []byte("[profile ci]\nregion = a\n"), []byte(large), 0)
	compareProfileLoads(t, files, []string{"ci"}) // the runtime's poller, before counting
	fds := openDescriptors(t)
	if l := compareProfileLoads(t, files, []string{"ci", "other"}); l.subsetLoads != 0 || l.fullLoads != 2 {
		t.Errorf("%d loads from subsets, %d from the whole files; want 0 and 2", l.subsetLoads, l.fullLoads)
	}
	if after := openDescriptors(t); after != fds {
		t.Errorf("%d descriptors open before, %d after", fds, after)
	}
}
