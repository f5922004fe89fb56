// Package npmpkg finds the repository and installs the pinned npm packages
// that earshot's data generators read (enrich/geo/internal/gendata,
// enrich/geo/internal/gengaz). earshot itself never needs npm: the
// generators' outputs are committed.
package npmpkg

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// FindRoot returns the nearest directory above the working directory that
// holds go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("cannot get working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find go.mod above the working directory; pass -root")
		}
		dir = parent
	}
}

// Ensure installs the packages (name → exact version) into dir unless every
// one is already there at that version.
func Ensure(dir string, pkgs map[string]string) error {
	ok := true
	for name, ver := range pkgs {
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json"))
		var pj struct{ Version string }
		if err != nil || json.Unmarshal(b, &pj) != nil || pj.Version != ver {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create npm cache: %w", err)
	}
	args := []string{"install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund"}
	names := make([]string, 0, len(pkgs))
	for name := range pkgs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, name+"@"+pkgs[name])
	}
	cmd := exec.Command("npm", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	log.Printf("installing npm packages into %s", dir)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cannot install npm packages (is npm installed?): %w", err)
	}
	return nil
}
