package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The deployment files for Docker and Kubernetes cannot run here (no
// Docker engine, no cluster), so this test holds them to the binary they
// run: it builds earshot the way deploy/Dockerfile does, and requires that
// every flag and EARSHOT_ variable the compose file and the Kubernetes
// manifest give an earshot container is one its subcommand has (a
// misspelt variable would be ignored silently), that their rules compile,
// and that every file the compose file mounts or builds from exists.

const (
	dockerfile  = "Dockerfile"
	composeFile = "compose/compose.yaml"
	k8sFile     = "kubernetes/earshot.yaml"
)

// earshotContainer is how a deployment file runs earshot.
type earshotContainer struct {
	where string   // file and service or container, for messages
	args  []string // the binary's arguments: subcommand, then flags
	env   []string // EARSHOT_ variables it gets
}

func TestDeploymentFiles(t *testing.T) {
	bin := buildAsDockerfile(t)
	flags := map[string]map[string]bool{} // subcommand → its flags
	flagsOf := func(sub string) map[string]bool {
		if f, ok := flags[sub]; ok {
			return f
		}
		out, _ := exec.Command(bin, sub, "-h").CombinedOutput() // -h exits 0 or 2
		f := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
			f[m[1]] = true
		}
		if len(f) == 0 {
			t.Fatalf("earshot %s -h lists no flags:\n%s", sub, out)
		}
		flags[sub] = f
		return f
	}

	containers, rules := composeContainers(t)
	k8s, k8sRules := k8sContainers(t)
	containers = append(containers, k8s...)
	rules = append(rules, k8sRules...)
	if !slices.ContainsFunc(k8s, func(c earshotContainer) bool { return strings.Contains(c.where, "CronJob earshot-prune") }) {
		t.Errorf("the CronJob's container was not found: %d containers in %s", len(k8s), k8sFile)
	}
	if len(containers) < 6 || len(rules) < 2 {
		t.Fatalf("found %d earshot containers and %d rules files: the files' layout changed", len(containers), len(rules))
	}
	for _, c := range containers {
		if len(c.args) == 0 {
			t.Errorf("%s: no subcommand", c.where)
			continue
		}
		sub := c.args[0]
		f := flagsOf(sub)
		for _, a := range c.args[1:] {
			if name, ok := strings.CutPrefix(a, "--"); ok {
				name, _, _ = strings.Cut(name, "=")
				if !f[name] {
					t.Errorf("%s: earshot %s has no flag --%s", c.where, sub, name)
				}
			}
		}
		for _, v := range c.env {
			if v == "EARSHOT_LOG_LEVEL" {
				continue
			}
			name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v, "EARSHOT_")), "_", "-")
			if !f[name] {
				t.Errorf("%s: %s sets no flag of earshot %s (there is no --%s)", c.where, v, sub, name)
			}
		}
	}
	// The rules the deployment files ship compile without warnings
	// (rules check --strict): an example is copied.
	for i, r := range rules {
		dir := t.TempDir()
		path, files := dir, r.files // a directory of rules files
		if files == nil {
			name := fmt.Sprintf("rules-%d.yaml", i)
			path, files = filepath.Join(dir, name), map[string][]byte{name: r.text}
		}
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(dir, name), text, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := exec.Command(bin, "rules", "check", "--strict", path).CombinedOutput(); err != nil {
			t.Errorf("%s: the rules do not compile, or have warnings: %v\n%s", r.where, err, out)
		}
	}
}

// buildAsDockerfile builds earshot with the Dockerfile's own `go build`
// line (its environment and flags), into a temporary directory.
func buildAsDockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RUN ((?:[A-Z_]+=\S+ )*)go build (.*) -o (\S+) (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no `RUN [ENV=...] go build ... -o OUT PKG` line", dockerfile)
	}
	bin := filepath.Join(t.TempDir(), "earshot")
	cmd := exec.Command("go", append(append([]string{"build"}, strings.Fields(string(m[2]))...), "-o", bin, string(m[4]))...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), strings.Fields(string(m[1]))...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s's build: %v\n%s", dockerfile, err, out)
	}
	return bin
}

type rulesText struct {
	where string
	text  []byte
	// files, when set, are a directory of rules files (text unused).
	files map[string][]byte
}

// composeContainers returns the compose file's earshot services (those
// whose image is built from deploy/Dockerfile) and the rules files they
// mount; it checks that what the file builds from and mounts exists.
func composeContainers(t *testing.T) ([]earshotContainer, []rulesText) {
	t.Helper()
	b, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       map[string]string `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", composeFile, err)
	}
	dir := filepath.Dir(composeFile)
	var out []earshotContainer
	var rules []rulesText
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range doc.Services {
			if !yield(n) {
				return
			}
		}
	}) {
		s := doc.Services[name]
		where := composeFile + ": service " + name
		for _, v := range s.Volumes {
			host, target, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(host, ".") {
				continue // a named volume
			}
			path := filepath.Join(dir, host)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s mounts %s: %v", where, host, err)
				continue
			}
			if strings.HasPrefix(target, "/etc/earshot/") {
				text, _ := os.ReadFile(path)
				rules = append(rules, rulesText{where: where + ": " + host, text: text})
			}
		}
		if s.Build == nil {
			continue
		}
		df, _ := filepath.Abs(filepath.Join(dir, s.Build["context"], s.Build["dockerfile"]))
		if want, _ := filepath.Abs(dockerfile); df != want {
			t.Errorf("%s builds from %s, not %s", where, df, want)
		}
		c := earshotContainer{where: where, args: s.Command}
		for k := range s.Environment {
			if strings.HasPrefix(k, "EARSHOT_") {
				c.env = append(c.env, k)
			}
		}
		out = append(out, c)
	}
	return out, rules
}

// k8sContainers returns the manifest's earshot containers, with the
// EARSHOT_ variables they get from env and envFrom, and the rules the
// ConfigMaps they mount hold.
func k8sContainers(t *testing.T) ([]earshotContainer, []rulesText) {
	t.Helper()
	b, err := os.ReadFile(k8sFile)
	if err != nil {
		t.Fatal(err)
	}
	type container struct {
		Name string   `yaml:"name"`
		Args []string `yaml:"args"`
		Env  []struct {
			Name string `yaml:"name"`
		} `yaml:"env"`
		EnvFrom []struct {
			ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
			SecretRef    *struct{ Name string } `yaml:"secretRef"`
		} `yaml:"envFrom"`
	}
	type podTemplate struct {
		Spec struct {
			Containers []container `yaml:"containers"`
		} `yaml:"spec"`
	}
	type object struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
		Spec       struct {
			Template    podTemplate `yaml:"template"`
			JobTemplate struct {    // a CronJob's
				Spec struct {
					Template podTemplate `yaml:"template"`
				} `yaml:"spec"`
			} `yaml:"jobTemplate"`
		} `yaml:"spec"`
	}
	var objs []object
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o object
		if err := dec.Decode(&o); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("%s: %v", k8sFile, err)
		}
		objs = append(objs, o)
	}
	keys := map[string][]string{} // ConfigMap or Secret → its keys
	var rules []rulesText
	for _, o := range objs {
		// A ConfigMap of rules files is mounted as a directory of them.
		dir := rulesText{where: k8sFile + ": ConfigMap " + o.Metadata.Name, files: map[string][]byte{}}
		for k, v := range o.Data {
			keys[o.Kind+"/"+o.Metadata.Name] = append(keys[o.Kind+"/"+o.Metadata.Name], k)
			if strings.HasSuffix(k, ".yaml") && strings.Contains(v, "rules:") || strings.HasSuffix(k, ".txt") {
				dir.files[k] = []byte(v)
			}
		}
		if len(dir.files) > 0 {
			rules = append(rules, dir)
		}
		for k := range o.StringData {
			keys[o.Kind+"/"+o.Metadata.Name] = append(keys[o.Kind+"/"+o.Metadata.Name], k)
		}
	}
	var out []earshotContainer
	for _, o := range objs {
		for _, c := range slices.Concat(o.Spec.Template.Spec.Containers, o.Spec.JobTemplate.Spec.Template.Spec.Containers) {
			ec := earshotContainer{where: k8sFile + ": " + o.Kind + " " + o.Metadata.Name + ", container " + c.Name, args: c.Args}
			for _, e := range c.Env {
				ec.env = append(ec.env, e.Name)
			}
			for _, ef := range c.EnvFrom {
				var ref string
				switch {
				case ef.ConfigMapRef != nil:
					ref = "ConfigMap/" + ef.ConfigMapRef.Name
				case ef.SecretRef != nil:
					ref = "Secret/" + ef.SecretRef.Name
				}
				ks, ok := keys[ref]
				if !ok {
					t.Errorf("%s: envFrom %s, which the manifest does not define", ec.where, ref)
				}
				ec.env = append(ec.env, ks...)
			}
			out = append(out, ec)
		}
	}
	return out, rules
}
