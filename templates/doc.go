// Package templates holds, embedded, the text of every whole file awsboot
// writes (pipeline snippets); files that awsboot only edits (the shared
// AWS files, an agent's config.yaml) are edited in place by
// provision/localfile instead, to keep the user's other content intact.
package templates
