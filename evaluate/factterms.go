package evaluate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// factTerms remembers converted facts by their JSON encoding. Callers that
// evaluate many small parts of one cluster (the webhook) derive the same
// facts again and again — a workload, a PeerAuthentication's facts — and
// writing a fact as JSON costs a fraction of building its OPA value. The
// JSON is the exact key: toValue makes the value the JSON decodes to.
var factTerms = &termMemo{max: 8192}

// jsonBuffers hold the keys termMemo looks up.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// termMemo maps JSON encodings to OPA values; it is cleared when full.
type termMemo struct {
	mu  sync.Mutex
	m   map[string]ast.Value
	max int
}

// value converts v: a list element by element, anything else whole.
func (c *termMemo) value(v any) (ast.Value, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || rv.IsNil() || rv.Type().Elem().Kind() == reflect.Uint8 {
		return c.one(v)
	}
	terms := make([]*ast.Term, rv.Len())
	for i := range terms {
		x, err := c.one(rv.Index(i).Interface())
		if err != nil {
			return nil, err
		}
		terms[i] = ast.NewTerm(x)
	}
	return ast.NewArray(terms...), nil
}

func (c *termMemo) one(v any) (ast.Value, error) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer jsonBuffers.Put(buf)
	buf.Reset()
	// What json.Marshal writes, and a newline, in a buffer kept for the
	// next: the key is only copied when remembered.
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return nil, err
	}
	js := buf.Bytes()
	c.mu.Lock()
	x, ok := c.m[string(js)]
	c.mu.Unlock()
	if ok {
		return x, nil
	}
	x, err := toValue(v)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = map[string]ast.Value{}
	}
	c.m[string(js)] = x
	return x, nil
}
