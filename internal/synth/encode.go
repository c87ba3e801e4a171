package synth

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Objects are written through a small streaming encoder with two outputs:
// block YAML laid out as `kubectl get -o yaml` lays it out (two-space
// indentation, sequences at their key's indentation, "---" before every
// document), or compact JSON with one object per line, as
// `kubectl get -o json | jq -c '.items[]'` gives it. The generator calls
// the same methods for both, so both describe the same objects, key for
// key. Every document is built in one reusable byte slice and handed to
// the buffered writer when it is complete; nothing larger than one object
// is ever held in memory. Callers write keys in the order kubectl prints
// them: sorted, byte by byte.

// Formats of Config.Format.
const (
	FormatYAML = "yaml"
	FormatJSON = "json"
)

// frame is an open mapping or sequence.
type frame struct {
	list bool
	n    int   // entries written so far
	ind  int   // YAML: indentation of the entries
	lead uint8 // YAML: what comes before the first entry
}

const (
	leadNone    uint8 = iota // entries start lines of their own (the document)
	leadNewline              // after "key:": the first entry starts a new line
	leadInline               // after "- ": the first entry continues the line
)

const spaces = "                                                                "

// begin starts a new document; most objects start with doc instead.
func (g *gen) begin() {
	g.st = append(g.st[:0], frame{})
	if g.json {
		g.b = append(g.b[:0], '{')
	} else {
		g.b = append(g.b[:0], "---\n"...)
	}
}

// doc starts a new document with its apiVersion and kind.
func (g *gen) doc(apiVersion, kind string) {
	g.begin()
	g.str("apiVersion", apiVersion)
	g.str("kind", kind)
}

// end closes the document and hands it to the output.
func (g *gen) end() {
	if len(g.st) != 1 {
		panic("synth: document ends inside a collection")
	}
	g.st = g.st[:0]
	if g.json {
		g.b = append(g.b, "}\n"...)
	}
	if g.err != nil {
		return
	}
	if _, err := g.out.Write(g.b); err != nil {
		g.err = err
		return
	}
	g.n++
}

// entry starts an entry of the innermost collection: "key:" in a mapping,
// "- " in a sequence (where key is ignored).
func (g *gen) entry(key string) {
	f := &g.st[len(g.st)-1]
	if g.json {
		if f.n > 0 {
			g.b = append(g.b, ',')
		}
		f.n++
		if !f.list {
			g.b = appendJSON(g.b, key)
			g.b = append(g.b, ':')
		}
		return
	}
	switch {
	case f.n > 0 || f.lead == leadNone:
		g.b = append(g.b, spaces[:f.ind]...)
	case f.lead == leadNewline:
		g.b = append(g.b, '\n')
		g.b = append(g.b, spaces[:f.ind]...)
	}
	f.n++
	if f.list {
		g.b = append(g.b, "- "...)
		return
	}
	g.b = scalar(g.b, key)
	g.b = append(g.b, ':')
}

// value starts the scalar of an entry begun with entry.
func (g *gen) value(key string) {
	g.entry(key)
	if !g.json && !g.st[len(g.st)-1].list {
		g.b = append(g.b, ' ')
	}
}

// eol ends the line of a YAML scalar.
func (g *gen) eol() {
	if !g.json {
		g.b = append(g.b, '\n')
	}
}

// m opens a mapping under key (or as the next item of a sequence); up
// closes it.
func (g *gen) m(key string) {
	g.entry(key)
	if g.json {
		g.b = append(g.b, '{')
		g.st = append(g.st, frame{})
		return
	}
	f := g.st[len(g.st)-1]
	if f.list {
		g.st = append(g.st, frame{ind: f.ind + 2, lead: leadInline})
	} else {
		g.st = append(g.st, frame{ind: f.ind + 2, lead: leadNewline})
	}
}

// item opens a mapping as the next item of a sequence.
func (g *gen) item() { g.m("") }

// l opens a sequence under key; up closes it. Its items sit at the key's
// indentation, as kubectl writes them. Sequences of sequences are not
// supported.
func (g *gen) l(key string) {
	f := g.st[len(g.st)-1]
	if f.list {
		panic("synth: sequence in a sequence")
	}
	g.entry(key)
	if g.json {
		g.b = append(g.b, '[')
	}
	g.st = append(g.st, frame{list: true, ind: f.ind, lead: leadNewline})
}

// up closes the innermost collection; an empty one is written {} or [].
func (g *gen) up() {
	f := g.st[len(g.st)-1]
	g.st = g.st[:len(g.st)-1]
	if g.json {
		if f.list {
			g.b = append(g.b, ']')
		} else {
			g.b = append(g.b, '}')
		}
		return
	}
	if f.n > 0 {
		return
	}
	if f.lead == leadNewline {
		g.b = append(g.b, ' ')
	}
	if f.list {
		g.b = append(g.b, "[]\n"...)
	} else {
		g.b = append(g.b, "{}\n"...)
	}
}

// empty writes "key: {}".
func (g *gen) empty(key string) {
	g.m(key)
	g.up()
}

// leaf writes the nested mappings of a path ending in {}, as managedFields'
// fieldsV1 does: leaf("f:spec", "f:replicas") is {"f:spec":{"f:replicas":{}}}.
func (g *gen) leaf(path ...string) {
	for _, k := range path {
		g.m(k)
	}
	for range path {
		g.up()
	}
}

// str writes a string.
func (g *gen) str(key, v string) {
	g.value(key)
	if g.json {
		g.b = appendJSON(g.b, v)
		return
	}
	g.b = scalar(g.b, v)
	g.b = append(g.b, '\n')
}

// strs writes a sequence of strings.
func (g *gen) strs(key string, vs ...string) {
	g.l(key)
	for _, v := range vs {
		g.str("", v)
	}
	g.up()
}

// num writes an integer.
func (g *gen) num(key string, v int) {
	g.value(key)
	g.b = strconv.AppendInt(g.b, int64(v), 10)
	g.eol()
}

// flag writes a boolean.
func (g *gen) flag(key string, v bool) {
	g.value(key)
	g.b = strconv.AppendBool(g.b, v)
	g.eol()
}

// ts writes a timestamp as kubectl does: a quoted RFC 3339 string, which
// is also its JSON form.
func (g *gen) ts(key string, t time.Time) {
	g.value(key)
	g.b = append(g.b, '"')
	g.b = t.AppendFormat(g.b, time.RFC3339)
	g.b = append(g.b, '"')
	g.eol()
}

// uid writes the uid of object i of a kind.
func (g *gen) uid(key string, tag uint64, i int) {
	var buf [36]byte
	u := g.appendUID(buf[:0], tag, i)
	g.value(key)
	if g.json {
		g.b = append(g.b, '"')
		g.b = append(g.b, u...) // hexadecimal digits and dashes
		g.b = append(g.b, '"')
		return
	}
	g.b = scalar(g.b, u)
	g.b = append(g.b, '\n')
}

// text writes a string that may span lines: in YAML as a literal block
// scalar where that reads back exactly, as kubectl writes the
// last-applied-configuration annotation and ConfigMap data.
func (g *gen) text(key, v string) {
	if g.json || !literal(v) {
		g.str(key, v)
		return
	}
	g.value(key)
	body, chomp := v, "|-\n"
	if strings.HasSuffix(v, "\n") {
		body, chomp = v[:len(v)-1], "|\n"
	}
	g.b = append(g.b, chomp...)
	ind := spaces[:g.st[len(g.st)-1].ind+2]
	for line := range strings.SplitSeq(body, "\n") {
		g.b = append(g.b, ind...)
		g.b = append(g.b, line...)
		g.b = append(g.b, '\n')
	}
}

type pair struct{ k, v string }

// pairs writes a mapping of strings under key, its keys sorted (ps is
// sorted in place); nothing when ps is empty.
func (g *gen) pairs(key string, ps []pair) {
	if len(ps) == 0 {
		return
	}
	slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	g.m(key)
	for _, p := range ps {
		g.str(p.k, p.v)
	}
	g.up()
}
