package collect

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"sync"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// decodeYAML parses one YAML document into a JSON-compatible value: objects
// are map[string]any, lists []any, numbers json.Number, and an empty or null
// document is nil. The result is exactly what yaml.YAMLToJSON followed by a
// json.Decoder with UseNumber gives.
//
// Most documents are read by a scanner written for the YAML that kubectl,
// Helm and people write: block mappings and sequences, plain, quoted and
// block scalars, comments, and one-line flow sequences of scalars. It gives
// up on anything else (anchors, aliases, tags, complex keys, multi-line
// plain or quoted scalars, nested flow collections, tabs as separators,
// directives, CR line ends, ...) and on every document it cannot be sure is
// well formed; those go through the reference path, so that errors keep
// yaml's own messages.
func decodeYAML(data []byte) (any, error) {
	if v, ok := decodeYAMLFast(data); ok {
		return v, nil
	}
	return decodeYAMLReference(data)
}

// decodeYAMLReference is the reference path: YAML to JSON text, then JSON
// to Go values.
func decodeYAMLReference(data []byte) (any, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// maxYAMLDepth bounds the nesting the fast path follows; deeper documents
// take the reference path.
const maxYAMLDepth = 500

// yamlScanner is the state of one fast decode. Keys and most scalars are
// substrings of src, so a document costs one string conversion rather
// than one allocation per scalar. Mappings and sequences collect their
// entries on shared stacks and are allocated once, at their final size.
type yamlScanner struct {
	src       string
	pos       int // next byte to read
	lineStart int // start of the line holding pos
	depth     int
	entries   []yamlEntry // pending mapping entries, innermost last
	items     []any       // pending sequence items, innermost last
	str       strBuilder
}

type yamlEntry struct {
	key string
	val any
}

var yamlScanners = sync.Pool{New: func() any { return new(yamlScanner) }}

// decodeYAMLFast reports false when the document is outside the subset it
// reads exactly; the caller then takes the reference path.
func decodeYAMLFast(data []byte) (any, bool) {
	if !yamlCharsOK(data) {
		return nil, false
	}
	s := yamlScanners.Get().(*yamlScanner)
	s.src, s.pos, s.lineStart, s.depth = string(data), 0, 0, 0
	s.str.src = s.src
	v, ok := s.document()
	clear(s.entries)
	clear(s.items)
	s.entries, s.items = s.entries[:0], s.items[:0]
	s.src, s.str.src = "", ""
	yamlScanners.Put(s)
	if !ok {
		return nil, false
	}
	return v, true
}

// yamlChar marks the ASCII bytes the fast path accepts anywhere: printable
// characters, tab and line feed. yaml rejects other control characters;
// carriage returns are left to it too.
var yamlChar = func() (t [128]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['\t'], t['\n'] = true, true
	return t
}()

// yamlCharsOK reports whether data is valid UTF-8 made of characters yaml
// accepts, without the ones it treats specially: NEL, LS and PS are line
// breaks, and a byte order mark is skipped at the start of lines. Runs of
// eight printable ASCII bytes are checked at once.
func yamlCharsOK(data []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i := 0; i < len(data); {
		end := i + 8
		if end <= len(data) {
			w := binary.LittleEndian.Uint64(data[i:])
			del := w ^ 0x7f*ones
			// No byte with the high bit set, below 0x20 or equal to 0x7f.
			if w&highs == 0 && (w-0x20*ones)&^w&highs == 0 && (del-ones)&^del&highs == 0 {
				i = end
				continue
			}
		}
		for ; i < end && i < len(data); i++ {
			c := data[i]
			if c < utf8.RuneSelf {
				if !yamlChar[c] {
					return false
				}
				continue
			}
			r, n := utf8.DecodeRune(data[i:])
			switch {
			case r == utf8.RuneError && n == 1,
				r < 0xa0, // C1 controls, NEL included
				r == 0x2028, r == 0x2029, r == 0xfeff, r == 0xfffe, r == 0xffff:
				return false
			}
			i += n - 1
		}
	}
	return true
}

// document reads the whole document.
func (s *yamlScanner) document() (any, bool) {
	col, ok := s.next()
	if !ok {
		return nil, false
	}
	if col < 0 {
		return nil, true
	}
	v, col, ok := s.node(-1)
	return v, ok && col < 0
}

// next moves past blank and comment lines to the first character of the
// next line with content; s.pos must be at the start of a line. It returns
// that character's column, or -1 at the end of the document.
func (s *yamlScanner) next() (int, bool) {
	src := s.src
	for p := s.pos; p < len(src); {
		start := p
		for p < len(src) && src[p] == ' ' {
			p++
		}
		if p == len(src) {
			break
		}
		switch src[p] {
		case '\n':
			p++
			continue
		case '#':
			p = lineEnd(src, p)
			continue
		case '\t':
			return 0, false
		}
		if p == start && (src[p] == '%' ||
			(hasPrefixAt(src, p, "---") || hasPrefixAt(src, p, "...")) && endOfToken(src, p+3)) {
			return 0, false // a directive or a document marker
		}
		s.pos, s.lineStart = p, start
		return p - start, true
	}
	s.pos, s.lineStart = len(src), len(src)
	return -1, true
}

// lineEnd returns the position after the line break ending the line that
// holds p, or len(src).
func lineEnd(src string, p int) int {
	if i := strings.IndexByte(src[p:], '\n'); i >= 0 {
		return p + i + 1
	}
	return len(src)
}

func hasPrefixAt(src string, p int, prefix string) bool {
	return len(src)-p >= len(prefix) && src[p:p+len(prefix)] == prefix
}

// endOfToken reports whether position p ends a token: the end of the
// document, a space, a tab or a line break.
func endOfToken(src string, p int) bool {
	return p >= len(src) || src[p] == ' ' || src[p] == '\t' || src[p] == '\n'
}

// node reads the block node at s.pos, whose parent collection is indented
// by indent (-1 for the document itself). It returns the node and the
// column of the next line with content (-1 at the end).
func (s *yamlScanner) node(indent int) (any, int, bool) {
	s.depth++
	if s.depth > maxYAMLDepth {
		return nil, 0, false
	}
	var v any
	var next int
	var ok bool
	col := s.pos - s.lineStart
	if s.atBlockEntry() {
		v, next, ok = s.sequence(col, false)
	} else {
		start := s.pos
		key, nonString, kind := s.mapKey()
		switch kind {
		case keyFound:
			v, next, ok = s.mapping(col, key, nonString)
		case keyNone:
			s.pos = start
			v, next, ok = s.scalar(indent)
		default: // keyUnsupported
		}
	}
	s.depth--
	return v, next, ok
}

// atBlockEntry reports whether s.pos is at a "- " sequence entry.
func (s *yamlScanner) atBlockEntry() bool {
	return s.src[s.pos] == '-' && endOfToken(s.src, s.pos+1)
}

// skipSpaces moves past spaces; a tab, which yaml accepts in some of these
// places only, makes it fail.
func (s *yamlScanner) skipSpaces() bool {
	for s.pos < len(s.src) && s.src[s.pos] == ' ' {
		s.pos++
	}
	return s.pos == len(s.src) || s.src[s.pos] != '\t'
}

// atLineEnd reports whether nothing but a comment is left on the line;
// s.pos must follow a space or start the line.
func (s *yamlScanner) atLineEnd() bool {
	return s.pos == len(s.src) || s.src[s.pos] == '\n' || s.src[s.pos] == '#'
}

// endLine checks that only spaces and a comment follow a scalar or flow
// collection, and moves to the next line.
func (s *yamlScanner) endLine() bool {
	p := s.pos
	if !s.skipSpaces() {
		return false
	}
	if s.pos < len(s.src) && s.src[s.pos] != '\n' && (s.src[s.pos] != '#' || s.pos == p) {
		return false
	}
	s.pos = lineEnd(s.src, s.pos)
	return true
}

// mapping reads a block mapping at column col whose first key has been
// read, with s.pos after its colon.
func (s *yamlScanner) mapping(col int, key string, nonString bool) (any, int, bool) {
	base := len(s.entries)
	var next int
	for {
		v, n, ok := s.mapValue(col)
		if !ok {
			return nil, 0, false
		}
		s.entries = append(s.entries, yamlEntry{key, v})
		if next = n; next != col {
			if next > col {
				return nil, 0, false
			}
			break
		}
		k, ns, kind := s.mapKey()
		if kind != keyFound {
			return nil, 0, false
		}
		key, nonString = k, nonString || ns
	}
	entries := s.entries[base:]
	m := make(map[string]any, len(entries))
	for _, e := range entries {
		m[e.key] = e.val
	}
	// yaml keeps the last of duplicate keys. Keys that differ in yaml but
	// convert to the same string (1 and "1") come out in random order.
	if len(m) < len(entries) && nonString {
		return nil, 0, false
	}
	clear(entries)
	s.entries = s.entries[:base]
	return m, next, true
}

// mapValue reads the value after a key's colon in a mapping at column col.
func (s *yamlScanner) mapValue(col int) (any, int, bool) {
	if !s.skipSpaces() {
		return nil, 0, false
	}
	if !s.atLineEnd() {
		return s.scalar(col)
	}
	s.pos = lineEnd(s.src, s.pos)
	next, ok := s.next()
	switch {
	case !ok:
		return nil, 0, false
	case next > col:
		return s.node(col)
	case next == col && s.atBlockEntry():
		return s.sequence(col, true) // "key:" then "- item" at the key's column
	}
	return nil, next, true
}

// sequence reads a block sequence whose entries are at column col. An
// indentless sequence is the value of a key at the same column; it ends at
// the first line there that is not an entry.
func (s *yamlScanner) sequence(col int, indentless bool) (any, int, bool) {
	base := len(s.items)
	var next int
	for {
		s.pos++ // the '-'
		if !s.skipSpaces() {
			return nil, 0, false
		}
		var v any
		ok := true
		if s.atLineEnd() {
			s.pos = lineEnd(s.src, s.pos)
			if next, ok = s.next(); ok && next > col {
				v, next, ok = s.node(col)
			}
		} else {
			v, next, ok = s.node(col)
		}
		if !ok {
			return nil, 0, false
		}
		s.items = append(s.items, v)
		if next == col && s.atBlockEntry() {
			continue
		}
		if next > col || next == col && !indentless {
			return nil, 0, false
		}
		break
	}
	items := make([]any, len(s.items)-base)
	copy(items, s.items[base:])
	clear(s.items[base:])
	s.items = s.items[:base]
	return items, next, true
}

type keyKind int

const (
	keyNone keyKind = iota // the line holds a scalar, not a key
	keyFound
	keyUnsupported
)

// maxKeyLen keeps keys well below yaml's limit of 1024 characters for a
// simple key.
const maxKeyLen = 1000

// mapKey reads a mapping key at s.pos: a plain or quoted scalar on one
// line followed by ": " or a colon at the end of the line. It leaves s.pos
// after the colon. nonString reports a key yaml reads as a boolean or a
// number (converted to a string as YAMLToJSON does).
func (s *yamlScanner) mapKey() (key string, nonString bool, kind keyKind) {
	src, start := s.src, s.pos
	if c := src[start]; c == '"' || c == '\'' {
		k, ok := s.quoted()
		if !ok {
			return "", false, keyUnsupported
		}
		if !s.skipSpaces() {
			return "", false, keyUnsupported
		}
		if s.pos == len(src) || src[s.pos] != ':' || !endOfToken(src, s.pos+1) {
			return "", false, keyNone
		}
		if s.pos-start > maxKeyLen {
			return "", false, keyUnsupported
		}
		s.pos++
		return k, false, keyFound
	}
	if !plainStart(src, start) {
		return "", false, keyNone
	}
	for p := start; p < len(src); p++ {
		switch src[p] {
		case ':':
			if !endOfToken(src, p+1) {
				continue
			}
			if p-start > maxKeyLen {
				return "", false, keyUnsupported
			}
			end := p
			for src[end-1] == ' ' {
				end--
			}
			k, nonString, ok := resolveKey(src[start:end])
			if !ok {
				return "", false, keyUnsupported
			}
			s.pos = p + 1
			return k, nonString, keyFound
		case '\n':
			return "", false, keyNone
		case '\t':
			return "", false, keyUnsupported
		case ' ':
			if p+1 < len(src) && src[p+1] == '#' {
				return "", false, keyNone // a comment ends the scalar
			}
		}
	}
	return "", false, keyNone
}

// plainStart reports whether a plain scalar starts at p in block context.
func plainStart(src string, p int) bool {
	switch src[p] {
	case '-', '?', ':':
		return !endOfToken(src, p+1)
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ', '\t', '\n':
		return false
	}
	return true
}

// scalar reads a scalar or flow collection that is a node of its own, at
// s.pos, in a collection indented by indent.
func (s *yamlScanner) scalar(indent int) (any, int, bool) {
	var v any
	switch s.src[s.pos] {
	case '"', '\'':
		str, ok := s.quoted()
		if !ok {
			return nil, 0, false
		}
		v = str
	case '|', '>':
		return s.blockScalar(indent)
	case '[':
		seq, ok := s.flowSequence()
		if !ok {
			return nil, 0, false
		}
		v = seq
	case '{':
		p := s.pos + 1
		for p < len(s.src) && s.src[p] == ' ' {
			p++
		}
		if p == len(s.src) || s.src[p] != '}' {
			return nil, 0, false
		}
		s.pos = p + 1
		v = map[string]any{}
	default:
		val, ok := s.plain()
		if !ok {
			return nil, 0, false
		}
		v = val
	}
	if !s.endLine() {
		return nil, 0, false
	}
	next, ok := s.next()
	return v, next, ok
}
