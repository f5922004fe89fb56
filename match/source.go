package match

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ruleFile is one file of a rules source.
type ruleFile struct {
	path string
	data []byte
}

// isRulesFileName reports whether a directory entry is a rules file: a
// name ending in .yaml, .yml or .txt that does not start with '.'
// (Kubernetes keeps a ConfigMap volume's bookkeeping, ..data and its
// timestamped directory, under such names).
func isRulesFileName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch filepath.Ext(name) {
	case ".yaml", ".yml", ".txt":
		return true
	}
	return false
}

// sourceFiles lists the files of a rules source in name order: path itself
// when it is a file, else the rules files of the directory path (symbolic
// links followed, subdirectories not read).
func sourceFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read rules: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read rules: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !isRulesFileName(e.Name()) {
			continue
		}
		p := filepath.Join(path, e.Name())
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("cannot read rules: no rules file (*.yaml, *.yml, *.txt) in the directory %s", path)
	}
	return files, nil // os.ReadDir sorts by name
}

// readSource reads every file of a rules source.
func readSource(path string) ([]ruleFile, error) {
	names, err := sourceFiles(path)
	if err != nil {
		return nil, err
	}
	files := make([]ruleFile, len(names))
	for i, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("cannot read rules: %w", err)
		}
		files[i] = ruleFile{n, data}
	}
	return files, nil
}

// sourceHash is the digest of a source's file names and contents.
func sourceHash(files []ruleFile) [sha256.Size]byte {
	h := sha256.New()
	for _, f := range files {
		binary.Write(h, binary.LittleEndian, uint64(len(f.path))) //nolint:errcheck // a hash does not fail
		h.Write([]byte(f.path))
		binary.Write(h, binary.LittleEndian, uint64(len(f.data))) //nolint:errcheck
		h.Write(f.data)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// parseSource parses each file (see Parse) and joins their rules. A rule id
// defined in two files is an error, unless both are keyword lists, where
// the same line is the same rule (as within one list); every file's errors
// are reported, and any rejects the source whole.
func parseSource(files []ruleFile) ([]Rule, error) {
	var rules []Rule
	var errs []error
	type def struct {
		pos     Pos
		keyword bool
	}
	ids := map[string]def{}
	for _, f := range files {
		rs, err := Parse(f.path, f.data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		keyword := !isYAML(f.path, f.data)
		for _, r := range rs {
			prev, dup := ids[r.ID]
			switch {
			case !dup:
				ids[r.ID] = def{r.IDPos, keyword}
				rules = append(rules, r)
			case prev.keyword && keyword:
			default:
				se := &SyntaxError{Pos: r.IDPos, Msg: fmt.Sprintf("duplicate id %q (first defined at %s)", r.ID, prev.pos),
					Hint: "ids must be unique across the directory's files"}
				if lines := strings.Split(string(f.data), "\n"); r.IDPos.Line >= 1 && r.IDPos.Line <= len(lines) {
					se.Line = strings.TrimRight(lines[r.IDPos.Line-1], "\r")
				}
				errs = append(errs, se)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

// sourceStamp is what a poll compares cheaply before reading a source: the
// names, sizes and modification times of its files.
type sourceStamp [sha256.Size]byte

func stampSource(path string) (sourceStamp, error) {
	names, err := sourceFiles(path)
	if err != nil {
		return sourceStamp{}, err
	}
	h := sha256.New()
	for _, n := range names {
		fi, err := os.Stat(n)
		if err != nil {
			return sourceStamp{}, fmt.Errorf("cannot stat rules: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", n, fi.Size(), fi.ModTime().UnixNano())
	}
	var s sourceStamp
	h.Sum(s[:0])
	return s, nil
}

// LoadPath reads and parses the rules of path: a rules file (see Parse), or
// a directory whose *.yaml, *.yml and *.txt files (names starting with '.'
// skipped) together hold the rules, as when each team keeps its own file or
// a Kubernetes ConfigMap with one key per file is mounted.
func LoadPath(path string) ([]Rule, error) {
	files, err := readSource(path)
	if err != nil {
		return nil, err
	}
	return parseSource(files)
}
