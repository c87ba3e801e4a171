package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
)

// metadataOnly asks the API server for PartialObjectMetadataList: names,
// labels, annotations and owners, never the objects' contents. There is no
// fallback to full objects; a server that cannot answer this way fails the
// list.
const metadataOnly = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

// maxRestarts bounds how often a list restarts after its continue token
// expired.
const maxRestarts = 3

// pager lists one resource page by page.
type pager struct {
	client   rest.Interface
	pageSize int64
	// onPage is told the number of objects gathered so far.
	onPage func(n int)
	// afterPage, when set, runs after each page that has a continuation
	// (tests use it to make the continue token expire).
	afterPage func(continueToken string)
}

// listAll returns every object at path (an API path such as
// /api/v1/pods), each passed through keep as soon as it is decoded:
// objects are decoded one at a time from the response stream (numbers as
// json.Number, like manifests), stamped with apiVersion and kind (list
// items of built-in types carry neither) and sanitized, so a page is never
// held whole. With metaOnly, only object metadata is requested. When the
// continue token expires (410 Gone: the revision the pages come from was
// compacted) the list starts over, so that the result is one consistent
// list.
func listAll[T any](ctx context.Context, p *pager, path string, s served, metaOnly bool, keep func(Object) (T, error)) ([]T, error) {
	var out []T
	cont, restarts := "", 0
	for {
		req := p.client.Get().AbsPath(path).Param("limit", strconv.FormatInt(p.pageSize, 10))
		if cont != "" {
			req = req.Param("continue", cont)
		}
		if metaOnly {
			req = req.SetHeader("Accept", metadataOnly)
		}
		body, err := req.Stream(ctx)
		if err != nil {
			if cont != "" && isExpired(err) {
				if restarts < maxRestarts {
					restarts++
					out, cont = out[:0], ""
					continue
				}
				return nil, fmt.Errorf("the list kept changing faster than it could be read: continue token expired %d times: %w", restarts+1, err)
			}
			return nil, err
		}
		kind, next, err := decodeList(body, func(o Object) error {
			o["apiVersion"], o["kind"] = s.apiVersion(), s.t.Kind
			v, err := keep(Sanitize(o, s.t))
			if err == nil {
				out = append(out, v)
			}
			return err
		})
		body.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if metaOnly && kind != "PartialObjectMetadataList" {
			return nil, fmt.Errorf("%s: the API server answered %q instead of object metadata only", path, kind)
		}
		if p.onPage != nil {
			p.onPage(len(out))
		}
		if next == "" {
			return out, nil
		}
		cont = next
		if p.afterPage != nil {
			p.afterPage(cont)
		}
	}
}

// decodeList reads a list response, passing each item to each as it is
// decoded, and returns the list's kind and continue token.
func decodeList(r io.Reader, each func(Object) error) (kind, cont string, err error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return "", "", err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", "", err
		}
		switch tok {
		case "kind":
			err = dec.Decode(&kind)
		case "metadata":
			var md struct {
				Continue string `json:"continue"`
			}
			err = dec.Decode(&md)
			cont = md.Continue
		case "items":
			err = decodeItems(dec, each)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return "", "", err
		}
	}
	return kind, cont, expectDelim(dec, '}')
}

func decodeItems(dec *json.Decoder, each func(Object) error) error {
	tok, err := dec.Token()
	if err != nil || tok == nil { // "items": null
		return err
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("items: expected a list, found %v", tok)
	}
	for dec.More() {
		var o Object
		if err := dec.Decode(&o); err != nil {
			return err
		}
		if o == nil {
			return fmt.Errorf("items: null item")
		}
		if err := each(o); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %v, found %v", d, tok)
	}
	return nil
}

// get returns one object, or nil when it does not exist.
func (p *pager) get(ctx context.Context, path string, s served) (Object, error) {
	r := p.client.Get().AbsPath(path).Do(ctx)
	if err := r.Error(); apierrors.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	body, _ := r.Raw()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var o Object
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	o["apiVersion"], o["kind"] = s.apiVersion(), s.t.Kind
	return Sanitize(o, s.t), nil
}

// isExpired reports whether a list failed because its continue token
// expired.
func isExpired(err error) bool {
	if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
		return true
	}
	s, ok := err.(apierrors.APIStatus)
	return ok && s.Status().Code == http.StatusGone
}

// resourcePath is the API path of a resource, in a namespace or not.
func resourcePath(s served, namespace string) string {
	p := "/apis/" + s.t.Group + "/" + s.version
	if s.t.Group == "" {
		p = "/api/" + s.version
	}
	if namespace != "" {
		p += "/namespaces/" + namespace
	}
	return p + "/" + s.t.Key
}
