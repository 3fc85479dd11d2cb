package templates

import (
	"bytes"
	"embed"
	"fmt"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

var all = template.Must(template.New("").Option("missingkey=error").ParseFS(files, "*.tmpl"))

// OIDCData is what the OIDC pipeline templates need.
type OIDCData struct {
	// Marker is the ownership comment, the file's first line.
	Marker         string
	RoleARN        string
	Region         string
	Audience       string
	SessionSeconds int32
	// DeploymentTier, when set, is the GitLab deployment tier the role
	// requires in the token's sub; the fragment then says how a job
	// meets it.
	DeploymentTier string
}

// Render executes the named template (its file name without .tmpl).
func Render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := all.ExecuteTemplate(&b, name+".tmpl", data); err != nil {
		return "", fmt.Errorf("rendering template %s: %w", name, err)
	}
	return b.String(), nil
}
