package policy

import _ "embed" // for schema.json

//go:embed schema.json
var schema []byte

// Schema returns a JSON Schema (draft 2020-12) of the policy file, for
// editors and CI: pointed at it, an editor with a YAML language server
// completes field names, shows each field's documentation on hover and
// flags most mistakes as they are typed. The schema checks each value's
// shape; Load remains the authority and also checks what a schema cannot,
// such as that every name a section refers to is declared and that exactly
// one role is the owner. The caller may modify the returned slice.
func Schema() []byte {
	return append([]byte(nil), schema...)
}
