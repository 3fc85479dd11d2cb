package consumers

import (
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
)

// Every file resource `awsboot show` prints has the hook with its own
// state type: a Summary with another signature would silently not be one.
var (
	_ engine.KindSummarizer[*localfile.INI]    = (*AWSProfile)(nil)
	_ engine.KindSummarizer[blockState]        = (*ManagedBlock)(nil)
	_ engine.KindSummarizer[string]            = (*LocalFile)(nil)
	_ engine.KindSummarizer[gitlabRunnerState] = (*GitLabRunnerCache)(nil)
)
