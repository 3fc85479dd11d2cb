package localfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Intents is a stack's local journal of creates that take more than one
// call: awsboot records the intent before the first call and clears it
// after the last, so a run that died in between (kill, Ctrl-C, a reply
// lost three times) lets the next run recognise the half-made object as
// its own instead of refusing it as someone else's. The journal lives
// in IntentsDir, one JSON file per stack mapping a resource address to
// the time the create began; it holds no secret.
type Intents struct {
	path string
}

// IntentsDir is where the journals live: awsboot/intents beside LockDir.
func IntentsDir() string { return filepath.Join(filepath.Dir(LockDir()), "intents") }

// NewIntents returns the journal of a stack.
func NewIntents(stack string) *Intents {
	return &Intents{path: filepath.Join(IntentsDir(), stack+".json")}
}

// Path is the journal's file.
func (j *Intents) Path() string { return j.path }

func (j *Intents) read() (map[string]string, error) {
	data, ok, err := ReadFileIfExists(j.path)
	if err != nil || !ok {
		return map[string]string{}, err
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("reading awsboot's journal %s: %w (delete it if it is damaged)", j.path, err)
	}
	return m, nil
}

// Has reports whether a create of key began and did not finish.
func (j *Intents) Has(key string) (bool, error) {
	m, err := j.read()
	if err != nil {
		return false, err
	}
	_, ok := m[key]
	return ok, nil
}

// Begin records that the create of key begins.
func (j *Intents) Begin(key string) error {
	return j.edit(func(m map[string]string) { m[key] = time.Now().UTC().Format(time.RFC3339) })
}

// Done records that the create of key finished (or the object is gone).
func (j *Intents) Done(key string) error {
	return j.edit(func(m map[string]string) { delete(m, key) })
}

// edit changes the journal under its lock and writes it atomically
// (0600, directory 0700); an empty journal is removed.
func (j *Intents) edit(change func(map[string]string)) error {
	unlock, err := LockFile(j.path+".lock", DefaultLockTimeout, nil)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := j.read()
	if err != nil {
		return err
	}
	before := len(m)
	change(m)
	if len(m) == 0 {
		if before == 0 {
			return nil
		}
		if err := os.Remove(j.path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("clearing awsboot's journal %s: %w", j.path, err)
		}
		return nil
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if _, err := WriteFileAtomic(j.path, append(data, '\n'), 0o600, false); err != nil {
		return fmt.Errorf("writing awsboot's journal %s: %w", j.path, err)
	}
	return nil
}
