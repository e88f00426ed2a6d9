package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charterhq/charter/policy"
)

// maxPolicySize is the cap on a policy file, policy.Load's own; a larger
// file is an error before any parsing, so a mistaken or hostile argument
// costs at most this much memory. maxSuiteSize caps suite and cases files.
const maxPolicySize = policy.DefaultMaxSize

// errTooLarge is the error of readCapped for a file over its cap.
var errTooLarge = errors.New("file is larger than the limit")

// readCapped reads the file at path, failing with an error wrapping
// errTooLarge, without reading further, when it holds more than max bytes.
// A file that grows while being read is caught the same way.
func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(src)) > max {
		return nil, fmt.Errorf("%s: %w of %d bytes", path, errTooLarge, max)
	}
	return src, nil
}

// policyFiles expands args, files and directories, into the files to work
// on: a file argument as given, a directory as every *.yaml and *.yml file
// under it, recursively, in lexical order, skipping directories whose name
// starts with a dot. A directory without such files is an error, as is one
// that cannot be read; the files found so far are returned with the errors.
func policyFiles(args []string) ([]string, []error) {
	var files []string
	var errs []error
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil || !fi.IsDir() {
			files = append(files, arg) // reading it reports the error
			continue
		}
		n := len(files)
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				errs = append(errs, err)
				return nil
			case d.IsDir():
				if path != arg && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
			case isYAML(path):
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
		if len(files) == n && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no .yaml or .yml files in the directory", arg))
		}
		slices.Sort(files[n:])
	}
	return files, errs
}

func isYAML(path string) bool {
	ext := filepath.Ext(path)
	return ext == ".yaml" || ext == ".yml"
}

// printError prints err as editors and CI read it: every policy error as
// "file:line:col: message" on a line of its own, a file error as
// "file: message", anything else as it is.
func printError(w io.Writer, err error) int {
	var list policy.ErrorList
	var perr *fs.PathError
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			fmt.Fprintf(w, "%s: %s\n", e.Pos, e.Msg)
		}
		return len(list)
	case errors.As(err, &perr):
		fmt.Fprintf(w, "%s: %v\n", perr.Path, perr.Err)
	default:
		fmt.Fprintln(w, err)
	}
	return 1
}

// writeAtomic replaces the file at path with data, keeping its permission
// bits: data goes to a temporary file in the same directory, which is then
// renamed over path, so that a reader sees the old file or the new one,
// never half of either, and a failure leaves the old file as it was. A
// symbolic link is followed: the file it points to is replaced.
func writeAtomic(path string, data []byte) (err error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".charter-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
