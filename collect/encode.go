package collect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"sort"
)

// Encode writes the snapshot as indented JSON. The encoding is canonical:
// map keys are sorted and lists are in Sort order, so equal snapshots give
// equal bytes (and equal digests). It is what encoding/json writes with
// SetIndent("", " ") and SetEscapeHTML(false), produced one object at a
// time so that no encoding of the whole snapshot is held in memory.
func (s *Snapshot) Encode(w io.Writer) error {
	return s.encode(w, nil)
}

// rawObject is one object kept as its canonical encoding (compact JSON,
// sorted keys, HTML not escaped) with its sort key and name.
type rawObject struct {
	id   string // identity(o)
	name string
	data []byte
}

func toRaw(o Object) (rawObject, error) {
	data, err := marshal(o)
	return rawObject{id: identity(o), name: Meta(o).Name, data: data}, err
}

// marshal encodes v compactly as Encode does: sorted keys, no HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// encode writes s; the objects of a type found in raw are written from
// their encodings instead of s.Resources.
func (s *Snapshot) encode(w io.Writer, raw map[string][]rawObject) error {
	e := &streamEncoder{w: bufio.NewWriterSize(w, 64<<10)}
	e.str("{\n")
	e.field("apiVersion", s.APIVersion)
	e.field("kind", s.Kind)
	e.field("schemaVersion", s.SchemaVersion)
	e.field("metadata", s.Metadata)
	e.str(` "resources": `)
	if s.Resources == nil {
		e.str("null,\n")
	} else {
		keys := make([]string, 0, len(s.Resources))
		for k := range s.Resources {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e.str("{")
		for i, k := range keys {
			if i > 0 {
				e.str(",")
			}
			e.str("\n  ")
			e.value(k, "")
			e.str(": ")
			if r, ok := raw[k]; ok {
				e.list(len(r), "  ", func(i int) ([]byte, error) { return r[i].data, nil })
			} else if objs := s.Resources[k]; objs == nil {
				e.str("null")
			} else {
				e.list(len(objs), "  ", func(i int) ([]byte, error) { return marshal(objs[i]) })
			}
		}
		if len(keys) > 0 {
			e.str("\n ")
		}
		e.str("},\n")
	}
	if len(s.Other) > 0 {
		e.str(` "other": `)
		e.list(len(s.Other), " ", func(i int) ([]byte, error) { return marshal(s.Other[i]) })
		e.str(",\n")
	}
	if len(s.UnknownKinds) > 0 {
		e.field("unknownKinds", s.UnknownKinds)
	}
	e.str(` "coverage": `)
	e.value(s.Coverage, " ")
	e.str("\n}\n")
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

// streamEncoder writes indented JSON piece by piece, keeping the first
// error.
type streamEncoder struct {
	w   *bufio.Writer
	buf bytes.Buffer
	err error
}

func (e *streamEncoder) str(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

// field writes a top-level field followed by a comma.
func (e *streamEncoder) field(name string, v any) {
	e.str(" ")
	e.value(name, " ")
	e.str(": ")
	e.value(v, " ")
	e.str(",\n")
}

// value writes v indented as if nested at prefix.
func (e *streamEncoder) value(v any, prefix string) {
	if e.err != nil {
		return
	}
	data, err := marshal(v)
	if err != nil {
		e.err = err
		return
	}
	e.indented(data, prefix)
}

func (e *streamEncoder) indented(data []byte, prefix string) {
	if e.err != nil {
		return
	}
	e.buf.Reset()
	if e.err = json.Indent(&e.buf, data, prefix, " "); e.err == nil {
		_, e.err = e.w.Write(e.buf.Bytes())
	}
}

// list writes a JSON array of n encoded items nested at prefix.
func (e *streamEncoder) list(n int, prefix string, item func(i int) ([]byte, error)) {
	if n == 0 {
		e.str("[]")
		return
	}
	e.str("[")
	for i := 0; i < n && e.err == nil; i++ {
		if i > 0 {
			e.str(",")
		}
		e.str("\n" + prefix + " ")
		data, err := item(i)
		if err != nil {
			e.err = err
			return
		}
		e.indented(data, prefix+" ")
	}
	e.str("\n" + prefix + "]")
}
