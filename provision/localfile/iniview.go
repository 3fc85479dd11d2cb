package localfile

import (
	"fmt"
	"sync"
)

// ReadINI reads and parses the INI file at path through sys; a missing
// file is empty.
//
// Through a closed Gate (a stack that plans) the file is read and parsed
// once, by its first reader, and every later reader gets the same INI
// until the gate is opened or closed again: a plan's resources read one
// profile each from the same ~/.aws files, and parsing the file for each
// of them made a plan quadratic in the access entries. It also means
// every resource of a plan sees the same content of a file. The INI
// returned is shared: callers must only read it.
func ReadINI(sys System, path string) (*INI, error) {
	if g, ok := sys.(*Gate); ok && !g.open.Load() {
		g.read.Store(path, true) // a read through the gate, for Tidy
		return g.ini.view(g.sys, path)
	}
	return readINI(sys, path)
}

func readINI(sys System, path string) (*INI, error) {
	data, _, err := sys.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseINI(data), nil
}

// EditINI edits the INI file at path: under sys's lock of the path it
// reads the file (another run may have changed it since the plan), lets
// edit change it, and, when edit reports a change, writes it back with
// sys.WriteFile (atomically, 0600 in a 0700 directory, with a backup).
// edit must report true whenever it changed f.
//
// A Gate keeps the parsed file between the edits it serves: an edit
// parses the file again only when it no longer holds exactly what the
// previous edit wrote (or read), so a run that edits one profile per
// access entry parses each file once, not once per entry, and each edit
// works on its own section only.
func EditINI(sys System, path string, edit func(f *INI) (changed bool, err error)) error {
	unlock, err := sys.Lock(path)
	if err != nil {
		return err
	}
	defer unlock()
	data, _, err := sys.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	var docs *iniCache
	if g, ok := sys.(*Gate); ok {
		docs = &g.ini
	}
	f := docs.doc(path, data)
	if f == nil {
		f = ParseINI(data)
	}
	// Until the edit is written, the kept parse may not match the file.
	docs.forget(path)
	changed, err := edit(f)
	if err != nil {
		return err
	}
	if !changed {
		docs.keep(path, string(data), f)
		return nil
	}
	out := f.Bytes()
	if err := sys.WriteFile(path, out, 0o600); err != nil {
		return err
	}
	docs.keep(path, string(out), f)
	return nil
}

// iniCache is a Gate's parsed INI files: the views a plan shares and the
// documents successive edits work on. Both are dropped whenever the gate
// is opened or closed.
type iniCache struct {
	mu    sync.Mutex
	views map[string]*iniView
	docs  map[string]iniDoc
}

// iniView is one file's parse, shared by a plan's readers.
type iniView struct {
	once sync.Once
	f    *INI
	err  error
}

// iniDoc is the last content an edit wrote or read, and its parse.
type iniDoc struct {
	content string
	f       *INI
}

// view returns the shared parse of path, reading it through sys once.
func (c *iniCache) view(sys System, path string) (*INI, error) {
	c.mu.Lock()
	if c.views == nil {
		c.views = map[string]*iniView{}
	}
	v, ok := c.views[path]
	if !ok {
		v = &iniView{}
		c.views[path] = v
	}
	c.mu.Unlock()
	v.once.Do(func() { v.f, v.err = readINI(sys, path) })
	return v.f, v.err
}

// doc returns the kept parse of path when data is still its content, or
// nil. A nil cache keeps nothing.
func (c *iniCache) doc(path string, data []byte) *INI {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.docs[path]; ok && d.content == string(data) {
		return d.f
	}
	return nil
}

func (c *iniCache) keep(path, content string, f *INI) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.docs == nil {
		c.docs = map[string]iniDoc{}
	}
	c.docs[path] = iniDoc{content: content, f: f}
}

func (c *iniCache) forget(path string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.docs, path)
}

// reset drops every view and document.
func (c *iniCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.views, c.docs = nil, nil
}
