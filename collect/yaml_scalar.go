package collect

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file scans the scalars of the fast YAML path as go.yaml.in/yaml/v2
// does; yaml_resolve.go gives plain scalars their values.

// strBuilder assembles a scalar's text. While the text is one run of the
// document it stays a substring of it; only escapes, folding and
// indentation force a copy.
type strBuilder struct {
	src    string
	a, b   int // the text is src[a:b] until copied
	copied bool
	buf    []byte
}

func (sb *strBuilder) reset() { sb.a, sb.b, sb.copied, sb.buf = 0, 0, false, sb.buf[:0] }

// addSrc appends src[x:y].
func (sb *strBuilder) addSrc(x, y int) {
	if x == y {
		return
	}
	if !sb.copied {
		if sb.a == sb.b {
			sb.a, sb.b = x, y
			return
		}
		if x == sb.b {
			sb.b = y
			return
		}
		sb.copy()
	}
	sb.buf = append(sb.buf, sb.src[x:y]...)
}

// addByte appends c.
func (sb *strBuilder) addByte(c byte) {
	if !sb.copied {
		if sb.a != sb.b && sb.b < len(sb.src) && sb.src[sb.b] == c {
			sb.b++
			return
		}
		sb.copy()
	}
	sb.buf = append(sb.buf, c)
}

func (sb *strBuilder) copy() {
	sb.buf = append(sb.buf[:0], sb.src[sb.a:sb.b]...)
	sb.copied = true
}

func (sb *strBuilder) String() string {
	if !sb.copied {
		return sb.src[sb.a:sb.b]
	}
	return string(sb.buf)
}

// quoted reads a single- or double-quoted scalar that ends on its line.
func (s *yamlScanner) quoted() (string, bool) {
	src, sb := s.src, &s.str
	sb.reset()
	p := s.pos + 1
	start := p
	if src[s.pos] == '\'' {
		for ; ; p++ {
			if p == len(src) || src[p] == '\n' {
				return "", false
			}
			if src[p] != '\'' {
				continue
			}
			if p+1 < len(src) && src[p+1] == '\'' {
				sb.addSrc(start, p+1) // '' is a quote
				p++
				start = p + 1
				continue
			}
			break
		}
	} else {
		for ; ; p++ {
			if p == len(src) || src[p] == '\n' {
				return "", false
			}
			if src[p] == '"' {
				break
			}
			if src[p] != '\\' {
				continue
			}
			sb.addSrc(start, p)
			n, ok := s.escape(p + 1)
			if !ok {
				return "", false
			}
			p += n
			start = p + 1
		}
	}
	sb.addSrc(start, p)
	s.pos = p + 1
	return sb.String(), true
}

// escapes maps the one-character escapes of double-quoted scalars.
var escapes = map[byte]string{
	'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n",
	'v': "\v", 'f': "\f", 'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"",
	'\'': "'", '\\': "\\", 'N': "\u0085", '_': "\u00a0", 'L': "\u2028",
	'P': "\u2029",
}

// escape appends the escape sequence whose letter is at p and returns how
// many bytes it took after the backslash. A line break (an escaped
// newline) or an invalid escape makes it fail.
func (s *yamlScanner) escape(p int) (int, bool) {
	src := s.src
	if p == len(src) {
		return 0, false
	}
	if e, ok := escapes[src[p]]; ok {
		for i := 0; i < len(e); i++ {
			s.str.addByte(e[i])
		}
		return 1, true
	}
	var digits int
	switch src[p] {
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	default:
		return 0, false
	}
	if len(src)-p-1 < digits {
		return 0, false
	}
	r, err := strconv.ParseUint(src[p+1:p+1+digits], 16, 32)
	if err != nil || r >= 0xd800 && r <= 0xdfff || r > 0x10ffff {
		return 0, false
	}
	var enc [utf8.UTFMax]byte
	for _, c := range utf8.AppendRune(enc[:0], rune(r)) {
		s.str.addByte(c)
	}
	return 1 + digits, true
}

// plain reads a plain scalar that ends on its line and resolves it.
func (s *yamlScanner) plain() (any, bool) {
	src, start := s.src, s.pos
	if !plainStart(src, start) {
		return nil, false
	}
	p := start
loop:
	for ; p < len(src); p++ {
		switch src[p] {
		case '\n':
			break loop
		case '\t':
			return nil, false
		case ':':
			if endOfToken(src, p+1) {
				return nil, false // "a: b: c" is an error
			}
		case ' ':
			if p+1 < len(src) && src[p+1] == '#' {
				break loop
			}
		}
	}
	end := p
	for src[end-1] == ' ' {
		end--
	}
	s.pos = end
	return resolveValue(src[start:end])
}

// flowSequence reads a flow sequence of plain and quoted scalars on one
// line, such as [a, "b", 3].
func (s *yamlScanner) flowSequence() (any, bool) {
	src := s.src
	p := s.pos + 1
	for p < len(src) && src[p] == ' ' {
		p++
	}
	if p < len(src) && src[p] == ']' {
		s.pos = p + 1
		return []any{}, true
	}
	base := len(s.items)
	for {
		if p == len(src) {
			return nil, false
		}
		var v any
		if c := src[p]; c == '"' || c == '\'' {
			s.pos = p
			str, ok := s.quoted()
			if !ok {
				return nil, false
			}
			v, p = str, s.pos
		} else {
			start := p
			if !flowPlainStart(src, p) {
				return nil, false
			}
			for p < len(src) && flowPlainChar[src[p]] {
				p++
			}
			end := p
			for src[end-1] == ' ' {
				end--
			}
			val, ok := resolveValue(src[start:end])
			if !ok {
				return nil, false
			}
			v = val
		}
		s.items = append(s.items, v)
		for p < len(src) && src[p] == ' ' {
			p++
		}
		if p < len(src) && src[p] == ',' {
			for p++; p < len(src) && src[p] == ' '; p++ {
			}
			continue
		}
		if p < len(src) && src[p] == ']' {
			break
		}
		return nil, false
	}
	s.pos = p + 1
	items := make([]any, len(s.items)-base)
	copy(items, s.items[base:])
	clear(s.items[base:])
	s.items = s.items[:base]
	return items, true
}

// flowPlainChar marks the bytes the fast path accepts in a plain scalar
// inside a flow sequence: a conservative set, free of flow indicators,
// colons and comment signs.
var flowPlainChar = func() (t [256]bool) {
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+-=~ " {
		t[c] = true
	}
	return t
}()

func flowPlainStart(src string, p int) bool {
	c := src[p]
	if c == '-' || c == '+' {
		return p+1 < len(src) && flowPlainChar[src[p+1]] && src[p+1] != ' '
	}
	return c != ' ' && flowPlainChar[c]
}

// blockScalar reads a literal (|) or folded (>) block scalar as yaml's
// scanner does, in a collection indented by indent.
func (s *yamlScanner) blockScalar(indent int) (any, int, bool) {
	src, sb := s.src, &s.str
	literal := src[s.pos] == '|'
	p := s.pos + 1
	chomp, increment := 0, 0
	chomping := func() {
		if p < len(src) && (src[p] == '+' || src[p] == '-') {
			chomp = 1
			if src[p] == '-' {
				chomp = -1
			}
			p++
		}
	}
	chomping()
	if p < len(src) && src[p] >= '1' && src[p] <= '9' {
		increment = int(src[p] - '0')
		p++
		if chomp == 0 {
			chomping()
		}
	}
	for p < len(src) && src[p] == ' ' {
		p++
	}
	if p < len(src) && src[p] == '#' && p > s.pos+1 && src[p-1] == ' ' {
		for p < len(src) && src[p] != '\n' {
			p++
		}
	}
	if p < len(src) && src[p] != '\n' {
		return nil, 0, false
	}
	p = lineEnd(src, p)
	lineStart := p
	ind := 0
	if increment > 0 {
		ind = max(indent, 0) + increment
	}
	sb.reset()
	trailing := 0 // pending empty lines
	leading := -1 // position of the pending line break ending the last line
	leadingBlank := false
	// breaks eats indentation and empty lines; it fixes the indentation
	// from the first lines when it is not given.
	breaks := func() bool {
		maxIndent := 0
		for {
			for (ind == 0 || p-lineStart < ind) && p < len(src) && src[p] == ' ' {
				p++
			}
			maxIndent = max(maxIndent, p-lineStart)
			if (ind == 0 || p-lineStart < ind) && p < len(src) && src[p] == '\t' {
				return false
			}
			if p == len(src) || src[p] != '\n' {
				break
			}
			p++
			lineStart = p
			trailing++
		}
		if ind == 0 {
			ind = max(maxIndent, indent+1, 1)
		}
		return true
	}
	if !breaks() {
		return nil, 0, false
	}
	for p-lineStart == ind && p < len(src) {
		trailingBlank := src[p] == ' ' || src[p] == '\t'
		if !literal && !leadingBlank && !trailingBlank && leading >= 0 {
			if trailing == 0 {
				sb.addByte(' ')
			}
		} else if leading >= 0 {
			sb.addSrc(leading, leading+1)
		}
		for ; trailing > 0; trailing-- {
			sb.addByte('\n')
		}
		leadingBlank = trailingBlank
		end := strings.IndexByte(src[p:], '\n')
		if end < 0 {
			end = len(src) - p
		}
		sb.addSrc(p, p+end)
		p += end
		leading = -1
		if p < len(src) {
			leading = p
			p++
			lineStart = p
		}
		if !breaks() {
			return nil, 0, false
		}
	}
	if chomp != -1 && leading >= 0 {
		sb.addSrc(leading, leading+1)
	}
	if chomp == 1 {
		for ; trailing > 0; trailing-- {
			sb.addByte('\n')
		}
	}
	v := sb.String()
	if p == len(src) {
		lineStart = p
	}
	s.pos, s.lineStart = lineStart, lineStart
	next, ok := s.next()
	return v, next, ok
}
