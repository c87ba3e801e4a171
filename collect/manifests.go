package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// ManifestOptions configures a collection from manifest files.
type ManifestOptions struct {
	// Paths are files, directories (searched recursively for .yaml, .yml
	// and .json files) or "-" for standard input.
	Paths []string
	// Stdin is read for the path "-"; nil means os.Stdin.
	Stdin io.Reader
	// DefaultNamespace is given to namespaced objects that name none, as
	// `kubectl apply` would; empty means "default".
	DefaultNamespace string
	// Now is the collection time recorded in the snapshot.
	Now time.Time
}

// ManifestError locates a problem in the input: file, document and line.
type ManifestError struct {
	File     string
	Document int // 1-based; 0 when the problem is with the file itself
	Line     int // line where the document starts, 1-based; 0 if unknown
	Err      error
}

func (e *ManifestError) Error() string {
	switch {
	case e.Document == 0:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s: document %d (line %d): %v", e.File, e.Document, e.Line, e.Err)
	default:
		return fmt.Sprintf("%s: document %d: %v", e.File, e.Document, e.Err)
	}
}

func (e *ManifestError) Unwrap() error { return e.Err }

// document is one YAML or JSON document of one file.
type document struct {
	file  string
	index int // 1-based within the file
	line  int // first line, 1-based
	data  []byte
	json  bool
}

// decoded is the result of parsing one document: zero or more objects.
type decoded struct {
	objs []Object
	err  error
}

// FromManifests reads manifests into a snapshot. Every registered resource
// type is recorded as collected — the manifests are taken as the complete
// declared state — except infrastructure types (nodes, volumes, storage and
// backup locations) of which the manifests hold none: those are absent, so
// the controls that need them are not assessed rather than passed. Any unreadable or malformed document is an error naming
// the file and document, and no snapshot is returned.
func FromManifests(opts ManifestOptions) (*Snapshot, error) {
	if len(opts.Paths) == 0 {
		return nil, errors.New("no manifest paths given")
	}
	files, err := expandPaths(opts.Paths)
	if err != nil {
		return nil, err
	}
	var docs []document
	stdinUsed := false
	for _, f := range files {
		var data []byte
		if f == "-" {
			if stdinUsed {
				return nil, errors.New("standard input (-) given more than once")
			}
			stdinUsed = true
			in := opts.Stdin
			if in == nil {
				in = os.Stdin
			}
			data, err = io.ReadAll(in)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, &ManifestError{File: displayName(f), Err: err}
		}
		docs = append(docs, splitDocuments(displayName(f), data)...)
	}
	results := decodeAll(docs)
	ns := opts.DefaultNamespace
	if ns == "" {
		ns = "default"
	}
	b := newBuilder(ns)
	for i, r := range results {
		d := &docs[i]
		if r.err != nil {
			return nil, &ManifestError{File: d.file, Document: d.index, Line: d.line, Err: r.err}
		}
		for _, o := range r.objs {
			if err := b.add(o, d); err != nil {
				return nil, &ManifestError{File: d.file, Document: d.index, Line: d.line, Err: err}
			}
		}
	}
	if b.total == 0 {
		return nil, fmt.Errorf("no Kubernetes objects found in %s", strings.Join(opts.Paths, ", "))
	}
	s := New(Source{Type: "manifests", Paths: opts.Paths}, opts.Now)
	b.fill(s)
	return s, nil
}

func displayName(f string) string {
	if f == "-" {
		return "<stdin>"
	}
	return f
}

// expandPaths turns the given paths into a sorted, de-duplicated list of
// files, keeping "-" where it was given.
func expandPaths(paths []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, &ManifestError{File: p, Err: unwrapPathError(err)}
		}
		if !info.IsDir() {
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, &ManifestError{File: p, Err: err}
		}
		if len(found) == 0 {
			return nil, &ManifestError{File: p, Err: errors.New("directory holds no manifest files (.yaml, .yml, .json)")}
		}
		sort.Strings(found)
		for _, f := range found {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	return files, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// splitDocuments cuts a file into documents. JSON files (first non-blank
// byte '{' or '[') form one stream of JSON values; YAML is split on
// "---" document markers. Documents holding only comments or whitespace
// (common in Helm output) are dropped.
func splitDocuments(file string, data []byte) []document {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return splitJSON(file, data)
	}
	var docs []document
	index, line, start, startLine := 0, 1, 0, 1
	emit := func(end int) {
		index++
		body := data[start:end]
		if !blankYAML(body) {
			docs = append(docs, document{file: file, index: index, line: startLine, data: body})
		}
	}
	for pos := 0; pos < len(data); {
		nl := bytes.IndexByte(data[pos:], '\n')
		end := len(data)
		if nl >= 0 {
			end = pos + nl
		}
		l := bytes.TrimRight(data[pos:end], "\r")
		if isDocMarker(l) {
			if pos > start || index > 0 {
				emit(pos)
			}
			start, startLine = end+1, line+1
			if start > len(data) {
				start = len(data)
			}
		}
		pos, line = end+1, line+1
	}
	if start < len(data) {
		emit(len(data))
	}
	return docs
}

// splitJSON cuts a stream of JSON values (one per line, as `jq -c` writes
// them, or concatenated) into one document per top-level value, so that
// they decode in parallel. Anything that is not a clean sequence of
// objects and arrays is kept whole, for the decoder to report.
func splitJSON(file string, data []byte) []document {
	whole := []document{{file: file, index: 1, line: 1, data: data, json: true}}
	var docs []document
	depth, start, line, startLine := 0, -1, 1, 1
	inString, escaped := false, false
	for i, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			case c == '\n':
				line++
			}
			continue
		}
		switch c {
		case '\n':
			line++
		case '"':
			if depth == 0 {
				return whole
			}
			inString = true
		case '{', '[':
			if depth == 0 {
				start, startLine = i, line
			}
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return whole
			}
			if depth == 0 {
				docs = append(docs, document{file: file, index: len(docs) + 1, line: startLine, data: data[start : i+1], json: true})
			}
		case ' ', '\t', '\r':
		default:
			if depth == 0 && !(i < 3 && bytes.HasPrefix(data, []byte("\ufeff"))) {
				return whole
			}
		}
	}
	if depth != 0 || inString || len(docs) == 0 {
		return whole
	}
	return docs
}

func isDocMarker(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	rest := l[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

// blankYAML reports whether a document has nothing but comments, blank
// lines and an end marker.
func blankYAML(b []byte) bool {
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		var l []byte
		if nl < 0 {
			l, b = b, nil
		} else {
			l, b = b[:nl], b[nl+1:]
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] == '#' || string(l) == "..." {
			continue
		}
		return false
	}
	return true
}

// decodeAll parses documents concurrently; results keep document order.
func decodeAll(docs []document) []decoded {
	out := make([]decoded, len(docs))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(docs) {
		workers = len(docs)
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i].objs, out[i].err = decodeDocument(docs[i])
			}
		}()
	}
	for i := range docs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// decodeDocument parses one document into objects, expanding List kinds.
func decodeDocument(d document) ([]Object, error) {
	var values []any
	if d.json {
		dec := json.NewDecoder(bytes.NewReader(d.data))
		dec.UseNumber()
		for {
			var v any
			err := dec.Decode(&v)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
			if arr, ok := v.([]any); ok {
				values = append(values, arr...)
			} else {
				values = append(values, v)
			}
		}
	} else {
		v, err := decodeYAML(d.data)
		if err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
		if v == nil {
			return nil, nil
		}
		values = append(values, v)
	}
	var objs []Object
	for _, v := range values {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected a Kubernetes object (a mapping with apiVersion and kind), found %s", describe(v))
		}
		expanded, err := expandList(o)
		if err != nil {
			return nil, err
		}
		objs = append(objs, expanded...)
	}
	return objs, nil
}

// expandList returns the items of a List (v1 List or any *List kind with
// items), or the object itself.
func expandList(o Object) ([]Object, error) {
	apiVersion, kind := Str(o, "apiVersion"), Str(o, "kind")
	if apiVersion == "" || kind == "" {
		return nil, fmt.Errorf("object has no %s", missing(apiVersion, kind))
	}
	items, hasItems := o["items"].([]any)
	if !strings.HasSuffix(kind, "List") || (!hasItems && o["items"] != nil) {
		return []Object{o}, nil
	}
	if !hasItems {
		if _, ok := Lookup(apiVersion, kind); ok {
			return []Object{o}, nil
		}
		return nil, nil // an empty List
	}
	out := make([]Object, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s item %d: expected an object, found %s", kind, i, describe(it))
		}
		if Str(m, "apiVersion") == "" || Str(m, "kind") == "" {
			return nil, fmt.Errorf("%s item %d: object has no %s", kind, i, missing(Str(m, "apiVersion"), Str(m, "kind")))
		}
		nested, err := expandList(m)
		if err != nil {
			return nil, fmt.Errorf("%s item %d: %w", kind, i, err)
		}
		out = append(out, nested...)
	}
	return out, nil
}

func missing(apiVersion, kind string) string {
	switch {
	case apiVersion == "" && kind == "":
		return "apiVersion and kind"
	case apiVersion == "":
		return "apiVersion"
	default:
		return "kind"
	}
}

func describe(v any) string {
	switch x := v.(type) {
	case []any:
		return "a list"
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return fmt.Sprintf("the text %q", x)
	case nil:
		return "nothing"
	default:
		return fmt.Sprintf("the value %v", x)
	}
}

// builder gathers decoded objects into snapshot lists, rejecting
// conflicting duplicates.
type builder struct {
	defaultNS string
	lists     map[string][]Object
	other     []Object
	unknown   map[[2]string]int
	seen      map[string]*document // identity -> where it was first defined
	total     int
}

func newBuilder(defaultNS string) *builder {
	return &builder{
		defaultNS: defaultNS,
		lists:     map[string][]Object{},
		unknown:   map[[2]string]int{},
		seen:      map[string]*document{},
	}
}

func (b *builder) add(o Object, d *document) error {
	apiVersion, kind := Str(o, "apiVersion"), Str(o, "kind")
	md, _ := o["metadata"].(map[string]any)
	if name, ok := md["name"]; ok && name != nil {
		if _, isString := name.(string); !isString {
			return fmt.Errorf("%s metadata.name is %v, not a string (YAML reads unquoted yes/no/on/off and numbers as other types; quote the name)", kind, name)
		}
	}
	if md == nil || Str(md, "name") == "" {
		if Str(md, "generateName") == "" {
			return fmt.Errorf("%s has no metadata.name", kind)
		}
		return fmt.Errorf("%s has only metadata.generateName (%q); tilsyn needs concrete names", kind, Str(md, "generateName"))
	}
	t, known := Lookup(apiVersion, kind)
	if !known {
		if err := checkKind(apiVersion, kind); err != nil {
			return err
		}
	}
	if known && t.Namespaced && Str(md, "namespace") == "" {
		md["namespace"] = b.defaultNS
	}
	if known && !t.Namespaced {
		delete(md, "namespace")
	}
	id := apiGroup(apiVersion) + "/" + kind + "/" + Str(md, "namespace") + "/" + Str(md, "name")
	if prev, dup := b.seen[id]; dup {
		return fmt.Errorf("%s %s is defined twice (first in %s document %d)", kind, qualifiedName(md), prev.file, prev.index)
	}
	b.seen[id] = d
	b.total++
	if !known {
		Sanitize(o, ResourceType{})
		b.other = append(b.other, o)
		b.unknown[[2]string{apiVersion, kind}]++
		return nil
	}
	b.lists[t.Key] = append(b.lists[t.Key], Sanitize(o, t))
	return nil
}

func apiGroup(apiVersion string) string {
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

func qualifiedName(md map[string]any) string {
	if ns := Str(md, "namespace"); ns != "" {
		return ns + "/" + Str(md, "name")
	}
	return Str(md, "name")
}

func (b *builder) fill(s *Snapshot) {
	for _, t := range Registry {
		objs := b.lists[t.Key]
		if objs == nil {
			objs = []Object{}
		}
		s.Resources[t.Key] = objs
		cov := Coverage{Resource: t.Key, Kind: t.Kind, Group: t.Group, Status: Collected, Count: len(objs)}
		if len(objs) == 0 && t.Infrastructure {
			cov.Status = Absent
			cov.Reason = "no " + t.Kind + " objects in the manifests; a manifest audit cannot tell what the cluster has"
		}
		s.SetCoverage(cov)
	}
	s.Other = b.other
	for k, n := range b.unknown {
		s.UnknownKinds = append(s.UnknownKinds, KindCount{APIVersion: k[0], Kind: k[1], Count: n})
	}
	s.Sort()
}
