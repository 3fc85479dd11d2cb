package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/localfile"
)

// The AWS SDK for Go loads one profile at a time, and each
// config.LoadSharedConfigProfile parses both whole files: loading every
// profile a stack writes that way costs the number of profiles times the
// size of the files, which grows with the square of the access entries.
//
// profileLoader makes the same loads, by the same SDK code, in time linear
// in the files. It reads each file once, has the SDK parse the whole of
// both once (so that what fails for the whole files fails for every
// profile, as before), then hands the SDK, for each profile, only the
// sections that can make it: the config file's [profile P] and [P], the
// credentials file's [P] and [profile P], every definition of each, in
// file order, byte for byte. A profile the SDK then resolves with a
// reference to another section (source_profile, credential_source,
// sso_session, services), or does not load, is loaded again from the
// whole files, so that its verdict is the whole files' verdict; so is
// every profile when a file has a line that might be a section header and
// is not one of the plain forms below (plainHeader).
//
// Why the subset is equivalent, from the SDK's parser (config v1.33.15,
// internal/ini and shared_config.go):
//
//   - It splits the file at "\n" and reads each line alone: blank,
//     comment, section header, property, sub-property or continuation.
//     Only a header changes the section, and a header clears the current
//     key, so the lines after a header mean the same whatever came before
//     it; lines before the first header are ignored.
//   - A header is a line that, cut at its first "#" and then its first
//     ";", and trimmed of white space, starts with "[" and ends with "]".
//     So every header starts, once trimmed, with "[": a line that does
//     not is never a header. The lines that do are all required to be
//     plain, and a plain header names exactly the section the SDK names.
//   - Every definition of a section is merged into one, later keys
//     winning; sections are then renamed, dropped and merged by their own
//     name only ("profile P" becomes P; in the config file a bare name
//     other than default, in any case, is dropped; in the credentials
//     file a "profile " section is dropped; the credentials file's P is
//     merged into the config file's). A plain name has no space, so only
//     sections named P or "profile P" can become P.
//   - A profile is then made from its one section, unless it names
//     another: those are loaded from the whole files.
//
// Nothing is written to disk: the SDK opens files by name only, so the
// bytes go through a pipe it opens as /dev/fd/N. Each load checks that
// the SDK read the pipe to its end (an SDK that cannot open a file reads
// it as empty, silently); where that fails, or there is no /dev/fd, every
// profile is loaded from the whole files, as before.
type profileLoader struct {
	files consumers.AWSFiles
	// config and credentials are the files' sections; nil when every
	// profile must be loaded from the whole files.
	config, credentials *sectionIndex
	buf                 []byte
	// subsetLoads and fullLoads count the profiles loaded each way, and
	// fed the bytes of their subsets (tests).
	subsetLoads, fullLoads, fed int
}

// errNotFed is a load from bytes whose pipe the SDK did not read to its
// end: it did not see those bytes.
var errNotFed = errors.New("the AWS SDK did not read the bytes it was handed")

// newProfileLoader reads the two files once, indexes their sections and
// has the SDK parse both whole. Subsets are used only when both files
// are read, every header-like line in them is plain, and the SDK's parse
// of the whole files gets as far as looking for a profile.
func newProfileLoader(ctx context.Context, files consumers.AWSFiles) *profileLoader {
	l := &profileLoader{files: files}
	// The SDK's view is the disk's: read it, as the SDK does, not through
	// a stack's System. A missing file is empty to the SDK too.
	var sys localfile.OS
	cfg, _, err := sys.ReadFile(files.Config)
	if err != nil {
		return l
	}
	creds, _, err := sys.ReadFile(files.Credentials)
	if err != nil {
		return l
	}
	ci, ok := indexSections(cfg)
	if !ok {
		return l
	}
	ki, ok := indexSections(creds)
	if !ok {
		return l
	}
	// The one parse of the whole files: loading a profile neither file
	// has must fail only with "no such profile". A file the SDK cannot
	// parse (its parser panics on a value of one double quote) or read
	// fails every profile, as it did before: they are all loaded whole.
	probe := unusedProfile(ci, ki)
	if _, err := loadFromBytes(ctx, probe, cfg, creds); !isMissing(err, probe) {
		return l
	}
	l.config, l.credentials = ci, ki
	return l
}

// load returns what config.LoadSharedConfigProfile returns for profile
// from the two files: the same SharedConfig (but for its credentials'
// Source, which names the file they came from) and the same error.
func (l *profileLoader) load(ctx context.Context, profile string) (config.SharedConfig, error) {
	if l.config != nil && isPlainName(profile) {
		l.buf = l.config.subset(l.buf[:0], profile)
		n := len(l.buf)
		l.buf = l.credentials.subset(l.buf, profile)
		sc, err := loadFromBytes(ctx, profile, l.buf[:n], l.buf[n:])
		if err == nil && !linksElsewhere(sc) || isMissing(err, profile) {
			l.subsetLoads++
			l.fed += len(l.buf)
			return sc, err
		}
		if errors.Is(err, errNotFed) {
			l.config, l.credentials = nil, nil
		}
	}
	l.fullLoads++
	return loadSharedConfigProfile(ctx, profile, l.files)
}

// linksElsewhere is true for a profile that the SDK completes from
// another section: a source profile, an SSO session, a services section.
// credential_source names no section, but the rule errs on the side of
// the whole files.
func linksElsewhere(sc config.SharedConfig) bool {
	return sc.SourceProfileName != "" || sc.Source != nil || sc.CredentialSource != "" ||
		sc.SSOSessionName != "" || sc.SSOSession != nil || sc.ServicesSectionName != ""
}

// isMissing is true for the SDK's error for a profile no file defines:
// that error itself, not one that wraps it (a missing source profile is
// wrapped in SharedConfigAssumeRoleError).
func isMissing(err error, profile string) bool {
	m, ok := err.(config.SharedConfigProfileNotExistError)
	return ok && m.Profile == profile
}

// loadSharedConfigProfile is config.LoadSharedConfigProfile on the two
// files, with the SDK's panics (its INI parser panics on a value of one
// double quote) turned into an error that names the files.
func loadSharedConfigProfile(ctx context.Context, profile string, files consumers.AWSFiles) (config.SharedConfig, error) {
	return sdkLoad(ctx, profile, []string{files.Config}, []string{files.Credentials})
}

// sdkLoad is config.LoadSharedConfigProfile on the files named, never
// the SDK's default files (an empty list is no file), with its panics
// turned into an error that names the files.
func sdkLoad(ctx context.Context, profile string, configFiles, credentialsFiles []string) (sc config.SharedConfig, err error) {
	defer func() {
		if r := recover(); r != nil {
			names := strings.Join(append(append([]string{}, configFiles...), credentialsFiles...), " or ")
			err = fmt.Errorf("the AWS SDK for Go cannot parse %s (it fails with %v): look for a value that is a lone double quote", names, r)
		}
	}()
	return config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = configFiles, credentialsFiles
	})
}

// loadFromBytes is sdkLoad on two files holding cfg and creds, handed to
// the SDK through pipes. It fails with errNotFed unless the SDK read each
// pipe to its end.
func loadFromBytes(ctx context.Context, profile string, cfg, creds []byte) (config.SharedConfig, error) {
	cfgFiles, cfgDone, err := feed(cfg)
	if err != nil {
		return config.SharedConfig{}, fmt.Errorf("%w: %w", errNotFed, err)
	}
	credsFiles, credsDone, err := feed(creds)
	if err != nil {
		cfgDone()
		return config.SharedConfig{}, fmt.Errorf("%w: %w", errNotFed, err)
	}
	sc, err := sdkLoad(ctx, profile, cfgFiles, credsFiles)
	// Both pipes are released, whatever the first says.
	cfgRead, credsRead := cfgDone(), credsDone()
	if !cfgRead || !credsRead {
		return config.SharedConfig{}, errNotFed
	}
	return sc, err
}

// feed returns the file list that makes the SDK read data (none for no
// data: the SDK reads a missing file as empty), and the function to call
// once the SDK is done, which reports whether it read all of data and
// releases the pipe.
func feed(data []byte) (files []string, done func() bool, err error) {
	if len(data) == 0 {
		return []string{}, func() bool { return true }, nil
	}
	r, w, path, err := pipe()
	if err != nil {
		return nil, nil, err
	}
	written := make(chan struct{})
	go func() {
		defer close(written)
		// An error here (the SDK never opened the pipe, and r is closed)
		// shows in done.
		w.Write(data)
		w.Close()
	}()
	return []string{path}, func() bool {
		// The SDK read to the end, which it sees only once the writer has
		// closed: nothing is left. Otherwise this reads what is left (and
		// unblocks the writer).
		var b [1]byte
		n, err := r.Read(b[:])
		r.Close()
		<-written
		return n == 0 && err == io.EOF
	}, nil
}

// sectionIndex is a shared file's bytes, with where each section is
// defined, as the SDK's parser reads it.
type sectionIndex struct {
	data []byte
	// spans holds, by section name as the SDK names it, lower-cased, the
	// byte ranges of its definitions in file order: each from its header
	// to the next header or the end of the file.
	spans map[string][]span
}

type span struct{ start, end int }

// indexSections indexes data by section. ok is false if a line that
// might be a header (it starts with "[" once trimmed) is not plain.
func indexSections(data []byte) (x *sectionIndex, ok bool) {
	x = &sectionIndex{data: data, spans: map[string][]span{}}
	name, start := "", -1
	for off := 0; off < len(data); {
		end, next := len(data), len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			end, next = off+i, off+i+1
		}
		line := data[off:end]
		// bytes.TrimSpace trims exactly what the SDK's strings.TrimSpace
		// trims.
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '[' {
			h, ok := plainHeader(line)
			if !ok {
				return nil, false
			}
			if start >= 0 {
				x.spans[name] = append(x.spans[name], span{start, off})
			}
			name, start = strings.ToLower(h), off
		}
		off = next
	}
	if start >= 0 {
		x.spans[name] = append(x.spans[name], span{start, len(data)})
	}
	return x, true
}

// subset appends to buf every definition of the sections that can make
// profile, [profile] and [profile profile] in any case, in file order.
func (x *sectionIndex) subset(buf []byte, profile string) []byte {
	a, b := x.spans[strings.ToLower(profile)], x.spans["profile "+strings.ToLower(profile)]
	for len(a) > 0 || len(b) > 0 {
		var s span
		if len(b) == 0 || len(a) > 0 && a[0].start < b[0].start {
			s, a = a[0], a[1:]
		} else {
			s, b = b[0], b[1:]
		}
		buf = append(buf, x.data[s.start:s.end]...)
	}
	return buf
}

// has is true if the file defines a section that could make profile.
func (x *sectionIndex) has(profile string) bool {
	p := strings.ToLower(profile)
	return len(x.spans[p]) > 0 || len(x.spans["profile "+p]) > 0
}

// unusedProfile returns a profile name neither file has a section for.
func unusedProfile(files ...*sectionIndex) string {
	for i := 0; ; i++ {
		name := "awsboot-unused-" + strconv.Itoa(i)
		used := false
		for _, x := range files {
			used = used || x.has(name)
		}
		if !used {
			return name
		}
	}
}

// plainHeader returns the section name the SDK reads from a header line
// of a plain form: optional white space, "[", one word or a type word and
// a name word apart (spaces or tabs inside the brackets as the SDK trims
// and splits them), "]", optional white space and an optional comment
// after "#" or ";". A word is printable ASCII but for "[", "]", "#" and
// ";". The SDK names such a section "type name", or "name". ok is false
// for any other line.
func plainHeader(line []byte) (name string, ok bool) {
	i := 0
	skip := func(set string) {
		for i < len(line) && strings.IndexByte(set, line[i]) >= 0 {
			i++
		}
	}
	word := func() []byte {
		j := i
		for i < len(line) && isWordByte(line[i]) {
			i++
		}
		return line[j:i]
	}
	const space, lineSpace = " \t\r\v\f", " \t"
	skip(space)
	if i == len(line) || line[i] != '[' {
		return "", false
	}
	i++
	skip(lineSpace)
	typ := word()
	if len(typ) == 0 {
		return "", false
	}
	j := i
	skip(lineSpace)
	var n []byte
	if i > j {
		n = word()
		skip(lineSpace)
	}
	if i == len(line) || line[i] != ']' {
		return "", false
	}
	i++
	skip(space)
	if i < len(line) && line[i] != '#' && line[i] != ';' {
		return "", false
	}
	if len(n) == 0 {
		return string(typ), true
	}
	return string(typ) + " " + string(n), true
}

// isWordByte is true for the bytes of a plain header's words.
func isWordByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != '[' && c != ']' && c != '#' && c != ';'
}

// isPlainName is true for a profile name made of one plain header word,
// as awsboot's profile names are.
func isPlainName(profile string) bool {
	for i := 0; i < len(profile); i++ {
		if !isWordByte(profile[i]) {
			return false
		}
	}
	return profile != ""
}
