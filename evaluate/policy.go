package evaluate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/policies"
)

// ControlsPackage is the package prefix under which every control lives.
const ControlsPackage = "tilsyn.controls"

// Severities in increasing order.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// SeverityRank orders severities; unknown ones rank -1.
func SeverityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// Control is the metadata of one control, read from the METADATA
// annotation of its Rego package.
type Control struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Severity    string   `json:"severity"`
	Articles    []string `json:"articles"`
	References  []string `json:"references,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	// Requires lists the snapshot resource types the control reads; if any
	// was not collected the control is not assessed.
	Requires []string `json:"requires,omitempty"`
	// Reads are the resource types the control can depend on: Requires,
	// the input.resources lists its rules name, and the types the facts
	// they name are derived from (see reads.go). A change to an object of
	// another type cannot change its findings.
	Reads []string `json:"-"`
	// ReadsObjects are the types whose objects the control's rules read
	// directly (input.resources.<type>), not only through derived facts.
	ReadsObjects []string `json:"-"`
	// ReadsFacts are the parts of input.facts its rules name
	// (input.facts.<part>).
	ReadsFacts []string `json:"-"`
	// Package is the Rego package (without "data."), File its source.
	Package string `json:"package"`
	File    string `json:"file"`
	// Builtin is false for controls from --policy directories.
	Builtin bool `json:"builtin"`
	// Phase is "" for ordinary controls, or PhaseWaivers.
	Phase string `json:"phase,omitempty"`

	notAssessedRule bool
}

// Source is one Rego file.
type Source struct {
	Name    string // file name shown in errors
	Text    string
	Builtin bool
}

// IsTest reports whether the file holds Rego unit tests.
func (s Source) IsTest() bool { return strings.HasSuffix(s.Name, "_test.rego") }

// BuiltinSources returns the embedded policies, sorted by name.
func BuiltinSources() ([]Source, error) {
	var out []Source
	err := fs.WalkDir(policies.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") {
			return err
		}
		data, err := policies.FS.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, Source{Name: "policies/" + path, Text: string(data), Builtin: true})
		return nil
	})
	return out, err
}

// DirSources reads every .rego file under dir (recursively).
func DirSources(dir string) ([]Source, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("policy directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("policy directory %s: not a directory", dir)
	}
	var out []Source
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, Source{Name: path, Text: string(data)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy directory %s: %w", dir, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("policy directory %s: no .rego files", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LoadSources returns the built-in policies followed by those of dirs.
func LoadSources(dirs []string) ([]Source, error) {
	srcs, err := BuiltinSources()
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		more, err := DirSources(d)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, more...)
	}
	return srcs, nil
}

// Digest is the SHA-256 of a policy bundle: every file's name and content,
// in order.
func Digest(srcs []Source) string {
	h := sha256.New()
	for _, s := range srcs {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", s.Name, len(s.Text), s.Text)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// parseModules parses sources (Rego v1) with annotations.
func parseModules(srcs []Source) (map[string]*ast.Module, error) {
	mods := make(map[string]*ast.Module, len(srcs))
	var errs ast.Errors
	for _, s := range srcs {
		m, err := ast.ParseModuleWithOpts(s.Name, s.Text, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			if e, ok := err.(ast.Errors); ok {
				errs = append(errs, e...)
				continue
			}
			return nil, fmt.Errorf("policy %s: %w", s.Name, err)
		}
		mods[s.Name] = m
	}
	if len(errs) > 0 {
		return nil, PolicyError(errs)
	}
	return mods, nil
}

// PolicyError formats Rego parse and compile errors as "file:line: message".
func PolicyError(errs ast.Errors) error {
	var b strings.Builder
	b.WriteString("policy error")
	if len(errs) > 1 {
		fmt.Fprintf(&b, "s (%d)", len(errs))
	}
	b.WriteString(":")
	for _, e := range errs {
		b.WriteString("\n  ")
		if e.Location != nil {
			fmt.Fprintf(&b, "%s:%d: ", e.Location.File, e.Location.Row)
		}
		fmt.Fprintf(&b, "%s: %s", e.Code, e.Message)
	}
	return fmt.Errorf("%s", b.String())
}

// compile compiles modules, reporting errors with file and line.
func compile(mods map[string]*ast.Module) (*ast.Compiler, error) {
	c := ast.NewCompiler().WithEnablePrintStatements(false)
	c.Compile(mods)
	if c.Failed() {
		return nil, PolicyError(c.Errors)
	}
	return c, nil
}

// controlsOf reads the METADATA of every control package. A package under
// tilsyn.controls without a usable annotation is an error: a control that
// cannot say what it checks has no place in evidence.
func controlsOf(srcs []Source, mods map[string]*ast.Module) ([]*Control, error) {
	builtin := map[string]bool{}
	for _, s := range srcs {
		builtin[s.Name] = s.Builtin
	}
	var out []*Control
	seen := map[string]string{}
	names := make([]string, 0, len(mods))
	for n := range mods {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		m := mods[name]
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		if !strings.HasPrefix(pkg, ControlsPackage+".") || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		ctl, err := controlFromModule(name, pkg, m)
		if err != nil {
			return nil, err
		}
		ctl.Builtin = builtin[name]
		if prev, dup := seen[ctl.ID]; dup {
			return nil, fmt.Errorf("policy %s: control %s is already defined in %s", name, ctl.ID, prev)
		}
		seen[ctl.ID] = name
		out = append(out, ctl)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func controlFromModule(file, pkg string, m *ast.Module) (*Control, error) {
	var ann *ast.Annotations
	for _, a := range m.Annotations {
		if a.Scope == "package" {
			ann = a
			break
		}
	}
	at := func(format string, args ...any) error {
		line := m.Package.Location.Row
		return fmt.Errorf("policy %s:%d: package %s: %s", file, line, pkg, fmt.Sprintf(format, args...))
	}
	if ann == nil {
		return nil, at("no METADATA annotation (a control needs title and custom.id, severity, articles)")
	}
	str := func(k string) string { s, _ := ann.Custom[k].(string); return s }
	list := func(k string) ([]string, error) {
		raw, ok := ann.Custom[k]
		if !ok {
			return nil, nil
		}
		items, ok := raw.([]any)
		if !ok {
			return nil, at("METADATA custom.%s must be a list of strings", k)
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, at("METADATA custom.%s must be a list of strings, found %v", k, it)
			}
			out = append(out, s)
		}
		return out, nil
	}
	c := &Control{ID: str("id"), Title: ann.Title, Description: strings.TrimSpace(ann.Description),
		Severity: str("severity"), Remediation: strings.TrimSpace(str("remediation")), Package: pkg, File: file,
		Phase: str("phase")}
	var err error
	if c.Articles, err = list("articles"); err != nil {
		return nil, err
	}
	if c.References, err = list("references"); err != nil {
		return nil, err
	}
	if c.Requires, err = list("requires"); err != nil {
		return nil, err
	}
	switch {
	case c.ID == "":
		return nil, at("METADATA custom.id is missing")
	case c.Title == "":
		return nil, at("METADATA title is missing")
	case SeverityRank(c.Severity) < 0:
		return nil, at("METADATA custom.severity %q is not one of %s", c.Severity, strings.Join(Severities, ", "))
	case len(c.Articles) == 0:
		return nil, at("METADATA custom.articles is missing (the GDPR articles the control supports)")
	case c.Phase != "" && c.Phase != PhaseWaivers:
		return nil, at("METADATA custom.phase %q: want %q or nothing", c.Phase, PhaseWaivers)
	}
	for _, r := range c.Requires {
		if _, ok := collect.TypeByKey(r); !ok {
			return nil, at("METADATA custom.requires names unknown resource %q", r)
		}
	}
	if len(m.RuleSet(ast.Var("findings"))) == 0 {
		return nil, at("no findings rule (a control reports `findings contains f if { ... }`)")
	}
	c.notAssessedRule = len(m.RuleSet(ast.Var("not_assessed"))) > 0
	return c, nil
}
