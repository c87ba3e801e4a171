package synth

import (
	"strconv"
	"strings"
	"time"
)

// The generator writes YAML text directly. Every document is built in one
// reusable byte slice and handed to the buffered writer when it is complete;
// nothing larger than one object is ever held in memory. Keys are written in
// the order `kubectl get -o yaml` uses (alphabetical), values through scalar,
// which quotes anything a YAML 1.1 or 1.2 parser could read as something
// other than a string.

const spaces = "                                                                "

// doc starts a new document.
func (g *gen) doc(apiVersion, kind string) {
	g.b = append(g.b[:0], "---\napiVersion: "...)
	g.b = append(g.b, apiVersion...)
	g.b = append(g.b, "\nkind: "...)
	g.b = append(g.b, kind...)
	g.b = append(g.b, '\n')
}

// end hands the finished document to the output.
func (g *gen) end() {
	if g.err != nil {
		return
	}
	if _, err := g.out.Write(g.b); err != nil {
		g.err = err
		return
	}
	g.n++
}

func (g *gen) indent(ind int) { g.b = append(g.b, spaces[:ind]...) }

// ln writes a line of literal YAML (a key with nested content, a list item,
// or a fully formed "key: value" whose value needs no quoting).
func (g *gen) ln(ind int, s string) {
	g.indent(ind)
	g.b = append(g.b, s...)
	g.b = append(g.b, '\n')
}

// kv writes "key: value" with the value quoted where needed.
func (g *gen) kv(ind int, key, val string) {
	g.indent(ind)
	g.b = append(g.b, key...)
	g.b = append(g.b, ": "...)
	g.b = scalar(g.b, val)
	g.b = append(g.b, '\n')
}

// item writes a list item "- value".
func (g *gen) item(ind int, val string) {
	g.indent(ind)
	g.b = append(g.b, "- "...)
	g.b = scalar(g.b, val)
	g.b = append(g.b, '\n')
}

// kq writes "key: "value"", always quoted (numbers and booleans held as
// strings, as in labels, annotations and ConfigMap data).
func (g *gen) kq(ind int, key, val string) {
	g.indent(ind)
	g.b = append(g.b, key...)
	g.b = append(g.b, ": "...)
	g.b = quoted(g.b, val)
	g.b = append(g.b, '\n')
}

// ki writes "key: <integer>".
func (g *gen) ki(ind int, key string, v int) {
	g.indent(ind)
	g.b = append(g.b, key...)
	g.b = append(g.b, ": "...)
	g.b = strconv.AppendInt(g.b, int64(v), 10)
	g.b = append(g.b, '\n')
}

// kt writes "key: "<RFC 3339 time>"".
func (g *gen) kt(ind int, key string, t time.Time) {
	g.indent(ind)
	g.b = append(g.b, key...)
	g.b = append(g.b, ": \""...)
	g.b = t.AppendFormat(g.b, time.RFC3339)
	g.b = append(g.b, "\"\n"...)
}

// kuid writes "key: <uid>" for the object numbered i of a kind.
func (g *gen) kuid(ind int, key string, tag uint64, i int) {
	g.indent(ind)
	g.b = append(g.b, key...)
	g.b = append(g.b, ": "...)
	g.b = g.appendUID(g.b, tag, i)
	g.b = append(g.b, '\n')
}

// rv writes a resourceVersion: one counter for the whole cluster, as etcd's
// revision would be.
func (g *gen) rv(ind int) {
	g.rev++
	g.indent(ind)
	g.b = append(g.b, "resourceVersion: \""...)
	g.b = strconv.AppendInt(g.b, g.rev, 10)
	g.b = append(g.b, "\"\n"...)
}

// raw appends text as it is; used for fixed multi-line fragments.
func (g *gen) raw(s string) { g.b = append(g.b, s...) }

// scalar appends s as a plain scalar when that is unambiguous and as a
// double-quoted one otherwise.
func scalar(b []byte, s string) []byte {
	if plain(s) {
		return append(b, s...)
	}
	return quoted(b, s)
}

// plain reports whether s reads back as the same string when written
// unquoted in block context. It is deliberately conservative: anything that
// could resolve to a number, boolean, null or timestamp under YAML 1.1 or
// 1.2 is quoted. Quantities such as 20Gi and 100m stay plain, as kubectl
// writes them.
func plain(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	digit := c >= '0' && c <= '9'
	if !(digit || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/') {
		return false
	}
	letter := false // a letter other than e/E (exponent) after a leading digit
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = letter || c != 'e' && c != 'E'
		case c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '/':
		case c == ':':
			if i == len(s)-1 || digit {
				return false // "a:" is a key; "1:20" is sexagesimal in YAML 1.1
			}
		default:
			return false
		}
	}
	if digit {
		// Hexadecimal, octal and binary integers need quoting; so does
		// anything without a letter that could make it a non-number.
		return letter && !(len(s) > 1 && c == '0' && strings.ContainsRune("xXoObB", rune(s[1])))
	}
	if len(s) <= 5 {
		switch lower(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
			return false
		}
	}
	return true
}

func lower(s string) string {
	var buf [5]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return string(buf[:len(s)])
}

const hexDigits = "0123456789abcdef"

// quoted appends s as a double-quoted YAML scalar.
func quoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// mix is the SplitMix64 finaliser: a cheap, well-distributed hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Tags separate the per-kind hash streams; hash(tag, i) names object i of a
// kind. UIDs, PV zones and other facts that two distant parts of the output
// must agree on are derived from these hashes instead of from the sequential
// random stream, so that an owner's uid can be written without remembering it.
const (
	tagNamespace uint64 = iota + 1
	tagController
	tagReplicaSet
	tagJob
	tagPod
	tagService
	tagPVC
	tagPV
	tagNode
	tagPA
	tagDR
	tagSE
	tagStorageClass
	tagConfigMap
	tagZone
	tagPVSize
)

func (g *gen) hash(tag uint64, i int) uint64 {
	return mix(g.seed ^ mix(tag<<48^uint64(i)))
}

// appendUID appends a version-4 style UUID derived from (tag, i).
func (g *gen) appendUID(b []byte, tag uint64, i int) []byte {
	hi := g.hash(tag, i)
	lo := mix(hi ^ 0x5bd1e9955bd1e995)
	hi = hi&^0xf000 | 0x4000           // version 4
	lo = lo&^(0xc000<<48) | 0x8000<<48 // RFC 4122 variant
	var u [36]byte
	put := func(at int, v uint64, n int) {
		for k := n - 1; k >= 0; k-- {
			u[at+k] = hexDigits[v&15]
			v >>= 4
		}
	}
	put(0, hi>>32, 8)
	u[8] = '-'
	put(9, hi>>16, 4)
	u[13] = '-'
	put(14, hi, 4)
	u[18] = '-'
	put(19, lo>>48, 4)
	u[23] = '-'
	put(24, lo, 12)
	return append(b, u[:]...)
}

// uid returns the uid of object i of a kind as a string.
func (g *gen) uid(tag uint64, i int) string {
	return string(g.appendUID(make([]byte, 0, 36), tag, i))
}

// suffixAlphabet is the one Kubernetes uses for generated names.
const suffixAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// nameSuffix returns n characters of a generated-name suffix for v; distinct
// values below 27^n give distinct suffixes.
func nameSuffix(v uint64, n int) string {
	var buf [10]byte
	for k := n - 1; k >= 0; k-- {
		buf[k] = suffixAlphabet[v%27]
		v /= 27
	}
	return string(buf[:n])
}

func itoa(i int) string { return strconv.Itoa(i) }
