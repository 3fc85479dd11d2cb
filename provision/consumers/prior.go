package consumers

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/awsboot/awsboot/provision/localfile"
)

// priorSuffix names the file beside a tool config that holds the config
// as it was before awsboot first wrote its settings into it, so that
// teardown can put it back (docs/spec.md, "Restoring a tool config").
const priorSuffix = ".awsboot-prior"

// fixOrMoveAway ends the error for a tool config awsboot cannot read: the
// plan stops (a teardown too, since the file may hold awsboot's secret).
const fixOrMoveAway = "; fix the file and run again (to tear the stack down without touching it, move it away first)"

// priorFile is the saved original. It may hold the tool's tokens and
// keys, so it is written 0600 like the config.
type priorFile struct {
	// Stack is the stack whose settings replaced the original.
	Stack string `json:"stack"`
	// Existed is false when awsboot created the file.
	Existed bool `json:"existed"`
	// Content is the original file, byte for byte.
	Content []byte `json:"content"`
}

// putBack reports whether the file (data; exists: whether it is there)
// is exactly the saved original: what a teardown that stopped between
// putting the file back and deleting the copy leaves. Such a file is the
// stack's, so that the next teardown deletes the copy. p may be nil.
func (p *priorFile) putBack(data []byte, exists bool) bool {
	return p != nil && exists == p.Existed && bytes.Equal(data, p.Content)
}

// readPrior returns the original of path saved for stack, nil when there
// is none (or it is another stack's), and an error naming the file when
// it is not awsboot's.
func readPrior(fsys localfile.System, path, stack string) (*priorFile, error) {
	data, ok, err := fsys.ReadFile(path + priorSuffix)
	if err != nil || !ok {
		return nil, err
	}
	var p priorFile
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s: not awsboot's saved original of %s (%v); move it away to go on without restoring", path+priorSuffix, path, err)
	}
	if p.Stack != stack {
		return nil, nil
	}
	return &p, nil
}

// writePrior saves data, the content of path before awsboot's first
// write (existed: whether path was there), for stack.
func writePrior(fsys localfile.System, path, stack string, data []byte, existed bool) error {
	out, err := json.MarshalIndent(priorFile{Stack: stack, Existed: existed, Content: data}, "", "  ")
	if err != nil {
		return err
	}
	return fsys.WriteFile(path+priorSuffix, append(out, '\n'), 0o600)
}
