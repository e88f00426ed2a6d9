// Package policies holds the policies shipped with charter, the examples
// that its documentation, tests and playground start from.
package policies

import "embed"

// FS holds every shipped policy, as NAME.yaml at its root.
//
//go:embed *.yaml
var FS embed.FS
