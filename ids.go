package charter

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ErrExists: a workspace with the ID the caller chose exists already (or,
// for a personal workspace, its owner has one). Unlike ErrConflict,
// retrying does not help.
var ErrExists = errors.New("charter: already exists")

// MaxIDLen is the longest workspace ID, in bytes, that a caller may choose.
const MaxIDLen = 200

// IDError reports a caller-chosen workspace ID that charter refuses. It
// wraps ErrInvalid.
type IDError struct {
	ID     string
	Reason string // e.g. "is empty", "holds control character U+0009"
}

// Error quotes the ID and says what is wrong with it.
func (e *IDError) Error() string {
	return fmt.Sprintf("%v: workspace ID %q %s", ErrInvalid, e.ID, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *IDError) Is(target error) bool { return target == ErrInvalid }

// A WorkspaceOption configures the workspace that CreateWorkspace or
// EnsurePersonal creates.
type WorkspaceOption func(*workspaceOptions)

type workspaceOptions struct {
	id    string
	setID bool // WithID was given, so id must pass CheckWorkspaceID
}

// WithID creates the workspace under id, an ID the application chose (its
// own tenant ID, say), instead of a generated one. The id must pass
// CheckWorkspaceID; the call returns its *IDError otherwise.
func WithID(id string) WorkspaceOption {
	return func(o *workspaceOptions) { o.id, o.setID = id, true }
}

// workspaceOpts applies opts and checks what they ask for.
func workspaceOpts(opts []WorkspaceOption) (workspaceOptions, error) {
	var o workspaceOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.setID {
		if err := CheckWorkspaceID(o.id); err != nil {
			return o, err
		}
	}
	return o, nil
}

// CheckWorkspaceID reports whether id may name a workspace: 1 to MaxIDLen
// bytes of valid UTF-8 with no control characters (which covers NUL, tabs
// and line breaks). Anything else is an *IDError.
func CheckWorkspaceID(id string) error {
	switch {
	case id == "":
		return &IDError{ID: id, Reason: "is empty"}
	case len(id) > MaxIDLen:
		return &IDError{ID: id[:32] + "...", Reason: fmt.Sprintf("is %d bytes long, more than %d", len(id), MaxIDLen)}
	case !utf8.ValidString(id):
		return &IDError{ID: id, Reason: "is not valid UTF-8"}
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return &IDError{ID: id, Reason: fmt.Sprintf("holds control character %U", r)}
		}
	}
	return nil
}
