// Package localfile edits the files awsboot writes on the user's machine:
// the AWS shared config file (~/.aws/config), the AWS shared credentials
// file (~/.aws/credentials), the Semaphore agent's config.yaml and the
// Bacalhau orchestrator's config; and it is the one seam (System) through
// which every such file is read, written, locked and removed.
//
// These files belong to the user. They hold other profiles, comments and
// settings that awsboot knows nothing about, so every editor in this package
// works on lines: it changes only the lines awsboot manages and leaves every
// other byte of the file exactly as it was, including comments, blank lines,
// indentation, CRLF line endings and a missing final newline.
//
// No INI library is used on purpose. Every Go INI library we know of (for
// example gopkg.in/ini.v1) parses the file into a model and re-serialises the
// whole file when saving. That reformats the user's other profiles, drops or
// moves comments and breaks the nested sub-section syntax of the AWS config
// file:
//
//	[profile dev]
//	s3 =
//	  addressing_style = path
//
// For the same reason the agent's YAML file is never re-encoded:
// gopkg.in/yaml.v3 is used only to locate the env-vars list (line and column
// of its key and items), and the edit itself is done on the text lines.
//
// The Bacalhau orchestrator config is the exception: SetYAMLMapping and
// RemoveYAMLMapping re-encode the document with yaml.v3, which keeps keys,
// their order and most comments but may re-indent it.
//
// System (system.go) is the seam: OS is the real file system, ReadOnly
// and a closed Gate fail every write (planning), and Lock serialises the
// edits of one path. WriteFileAtomic writes the result with a temporary
// file and a rename, so a crash never leaves a half-written file behind,
// and it can keep a backup of the previous content. ReadINI and EditINI
// read and edit the AWS files through a System; a Gate keeps their parse,
// so that a plan parses each file once however many profiles it reads.
package localfile
