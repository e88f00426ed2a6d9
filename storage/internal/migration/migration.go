// Package migration lists the SQL migrations a storage backend embeds: files
// named "<version>_<what>.sql", applied in version order.
package migration

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// File is one migration.
type File struct {
	Version int64  // the number its name starts with, > 0
	Name    string // the file's base name, recorded when it is applied
	Body    string // the SQL
}

// List returns the migrations matching pattern in fsys, in version order.
// A name without a leading version, or two files of one version, is an error
// that names the backend (prefix, e.g. "postgres").
func List(fsys fs.FS, pattern, prefix string) ([]File, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: migrate: %w", prefix, err)
	}
	var out []File
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("%s: migration %s: name does not start with a version number", prefix, base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%s: migrate: %w", prefix, err)
		}
		out = append(out, File{Version: v, Name: base, Body: string(body)})
	}
	slices.SortFunc(out, func(a, b File) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("%s: migrations %s and %s share version %d", prefix, out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// Has reports whether files hold a migration of version v.
func Has(files []File, v int64) bool {
	return slices.ContainsFunc(files, func(f File) bool { return f.Version == v })
}

// Pending returns those of files whose versions are not in applied, in
// order. A version in applied that files lack is an error naming the
// backend (prefix): the database was migrated by a newer program.
func Pending(files []File, applied []int64, prefix string) ([]File, error) {
	for _, v := range applied {
		if !Has(files, v) {
			return nil, fmt.Errorf("%s: migrate: database has migration %d, unknown to this program", prefix, v)
		}
	}
	var out []File
	for _, f := range files {
		if !slices.Contains(applied, f.Version) {
			out = append(out, f)
		}
	}
	return out, nil
}
