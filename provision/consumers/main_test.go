package consumers

import (
	"testing"

	"github.com/awsboot/awsboot/provision/localfile/cachetest"
)

// TestMain keeps awsboot's lock files (localfile.LockDir) out of the
// developer's cache directory.
func TestMain(m *testing.M) { cachetest.Main(m) }
