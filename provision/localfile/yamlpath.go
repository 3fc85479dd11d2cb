package localfile

import (
	"bytes"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// YAMLMapping reads the string values of the mapping at path (a list of
// keys from the top) in a YAML document. ok is false when the path is
// absent.
func YAMLMapping(data []byte, path []string) (values map[string]string, ok bool, err error) {
	root, err := parseDoc(data)
	if err != nil || root == nil {
		return nil, false, err
	}
	n := root
	for _, k := range path {
		if n = mapValue(n, k); n == nil {
			return nil, false, nil
		}
	}
	if n.Kind != yaml.MappingNode {
		return nil, false, fmt.Errorf("%v is not a mapping", path)
	}
	values = map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
			values[n.Content[i].Value] = v.Value
		}
	}
	return values, true, nil
}

// SetYAMLMapping sets keys of the mapping at path, creating the path as
// needed, and re-encodes the document with yaml.v3 (two-space indent):
// other keys, their order and comments are kept as far as yaml.v3 keeps
// them, which is why awsboot uses this only for files it may reformat
// (a Bacalhau config), never for the AWS files. Keys are written in the
// order given; keys of that mapping not in kv are left alone. Input that
// already holds every value is returned unchanged.
func SetYAMLMapping(data []byte, path []string, kv [][2]string) ([]byte, error) {
	if cur, ok, err := YAMLMapping(data, path); err != nil {
		return nil, err
	} else if ok {
		same := true
		for _, p := range kv {
			same = same && cur[p[0]] == p[1]
		}
		if same {
			return data, nil
		}
	}
	root, err := parseDoc(data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		root = &yaml.Node{Kind: yaml.MappingNode}
	}
	n := root
	for _, k := range path {
		next := mapValue(n, k)
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, next)
		}
		if next.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s is not a mapping; awsboot will not replace it", k)
		}
		n = next
	}
	for _, p := range kv {
		if v := mapValue(n, p[0]); v != nil {
			*v = yaml.Node{Kind: yaml.ScalarNode, Value: p[1], Style: yaml.DoubleQuotedStyle, LineComment: v.LineComment}
			continue
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p[0]},
			&yaml.Node{Kind: yaml.ScalarNode, Value: p[1], Style: yaml.DoubleQuotedStyle})
	}
	return encodeDoc(root)
}

// RemoveYAMLMapping deletes the mapping at path and then every parent left
// empty by that. A document left empty becomes empty bytes.
func RemoveYAMLMapping(data []byte, path []string) ([]byte, error) {
	root, err := parseDoc(data)
	if err != nil || root == nil {
		return data, err
	}
	if !removePath(root, path) {
		return data, nil
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	return encodeDoc(root)
}

// removePath removes path below n and reports whether anything changed.
func removePath(n *yaml.Node, path []string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != path[0] {
			continue
		}
		if len(path) == 1 {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return true
		}
		child := n.Content[i+1]
		if child.Kind != yaml.MappingNode || !removePath(child, path[1:]) {
			return false
		}
		if len(child.Content) == 0 {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
		}
		return true
	}
	return false
}

// parseDoc returns the top-level mapping, nil for an empty document.
func parseDoc(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("the document is not a mapping of keys")
	}
	// Keep the document's head comment with the mapping.
	if doc.HeadComment != "" && root.HeadComment == "" {
		root.HeadComment = doc.HeadComment
	}
	return root, nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func encodeDoc(root *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
