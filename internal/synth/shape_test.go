package synth

import (
	"encoding/json"
	"strings"
	"testing"
)

// Checks on the decoded objects: what tilsyn reads is there, and what it
// must strip is there too, small.

type obj = map[string]any

func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(obj)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func getStr(v any, path ...string) string { s, _ := get(v, path...).(string); return s }

func getList(v any, path ...string) []any { l, _ := get(v, path...).([]any); return l }

func getMap(v any, path ...string) obj { m, _ := get(v, path...).(obj); return m }

// TestShape checks every object's metadata, and pods, controllers, volumes
// and nodes in detail.
func TestShape(t *testing.T) {
	data, _ := generateFormat(t, small, FormatJSON)
	seen := map[string]int{}
	for _, o := range decodeJSON(t, data) {
		kind, name := getStr(o, "kind"), getStr(o, "metadata", "namespace")+"/"+getStr(o, "metadata", "name")
		mf := getList(o, "metadata", "managedFields")
		if len(mf) != 1 || getStr(mf[0], "manager") == "" || getStr(mf[0], "operation") == "" ||
			getStr(mf[0], "fieldsType") != "FieldsV1" || len(getMap(mf[0], "fieldsV1")) != 1 {
			t.Errorf("%s %s: managedFields %v, want one small entry", kind, name, mf)
		}
		if getStr(o, "metadata", "uid") == "" || get(o, "metadata", "resourceVersion") != nil {
			t.Errorf("%s %s: uid %q, resourceVersion %v", kind, name, getStr(o, "metadata", "uid"), get(o, "metadata", "resourceVersion"))
		}
		switch kind {
		case "Deployment", "StatefulSet", "DaemonSet", "CronJob":
			la := getStr(o, "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration")
			var applied any
			if err := json.Unmarshal([]byte(la), &applied); err != nil || len(la) > 300 ||
				getStr(applied, "kind") != kind || getStr(applied, "metadata", "name") != getStr(o, "metadata", "name") {
				t.Errorf("%s %s: last-applied-configuration %q (%v), want a short one naming the object", kind, name, la, err)
			}
			seen["last-applied"]++
		case "Pod":
			checkPod(t, o, name, seen)
		case "PersistentVolume":
			var zones []any
			if terms := getList(o, "spec", "nodeAffinity", "required", "nodeSelectorTerms"); len(terms) == 1 {
				if exprs := getList(terms[0], "matchExpressions"); len(exprs) == 1 {
					zones = getList(exprs[0], "values")
				}
			}
			if len(zones) != 1 || getStr(o, "spec", "claimRef", "uid") == "" {
				t.Errorf("volume %s: zones %v, claimRef %v", name, zones, get(o, "spec", "claimRef"))
			}
		case "Node":
			if !strings.HasPrefix(getStr(o, "spec", "providerID"), "aws:///") || get(o, "metadata", "labels", "kubernetes.io/hostname") == nil {
				t.Errorf("node %s: providerID %q, labels %v", name, getStr(o, "spec", "providerID"), get(o, "metadata", "labels"))
			}
		}
	}
	for _, what := range []string{"last-applied", "sidecar", "native sidecar", "no sidecar", "hostNetwork",
		"proxyCPU", "excludeInboundPorts", "excludeOutboundIPRanges", "inject override", "resources", "proxy resources"} {
		if seen[what] == 0 {
			t.Errorf("no pod or controller with %s", what)
		}
	}
}

func checkPod(t *testing.T, o any, name string, seen map[string]int) {
	t.Helper()
	status, _ := get(o, "status").(obj)
	if len(status) != 3 || status["phase"] != "Running" || status["podIP"] == nil || status["hostIP"] == nil {
		t.Errorf("pod %s: status %v, want phase, podIP and hostIP", name, status)
	}
	refs := getList(o, "metadata", "ownerReferences")
	if len(refs) != 1 || get(refs[0], "controller") != true || getStr(refs[0], "uid") == "" {
		t.Errorf("pod %s: ownerReferences %v", name, refs)
	}
	labels := getMap(o, "metadata", "labels")
	if labels["app"] == nil || labels["version"] == nil {
		t.Errorf("pod %s: labels %v", name, labels)
	}
	if labels["sidecar.istio.io/inject"] != nil {
		seen["inject override"]++
	}
	for k := range getMap(o, "metadata", "annotations") {
		seen[k[strings.LastIndexByte(k, '/')+1:]]++
	}
	if get(o, "spec", "hostNetwork") == true {
		seen["hostNetwork"]++
	}
	var proxies []any
	for _, list := range []string{"containers", "initContainers"} {
		for _, c := range getList(o, "spec", list) {
			if getStr(c, "name") != "istio-proxy" {
				if get(c, "resources") != nil {
					seen["resources"]++
				}
				if len(getList(c, "ports")) == 0 || getStr(c, "image") == "" {
					t.Errorf("pod %s: container %v has no ports or image", name, c)
				}
				continue
			}
			proxies = append(proxies, c)
			native := getStr(c, "restartPolicy") == "Always"
			if native != (list == "initContainers") || getStr(c, "image") == "" || len(getList(c, "ports")) != 1 ||
				get(c, "env") != nil || get(c, "args") != nil || get(c, "volumeMounts") != nil {
				t.Errorf("pod %s: istio-proxy in %s: %v", name, list, c)
			}
			if native {
				seen["native sidecar"]++
			}
			if get(c, "resources") != nil {
				seen["proxy resources"]++
			}
		}
	}
	switch tls := labels["security.istio.io/tlsMode"] == "istio"; {
	case len(proxies) > 1 || tls != (len(proxies) == 1):
		t.Errorf("pod %s: %d istio-proxy containers, tlsMode label %v", name, len(proxies), tls)
	case tls:
		seen["sidecar"]++
	default:
		seen["no sidecar"]++
	}
}

// TestSizes keeps the objects slim: manifests, not status dumps.
func TestSizes(t *testing.T) {
	data, _ := generate(t, small)
	bytes, count := map[string]int{}, map[string]int{}
	for _, d := range split(t, data) {
		n := 4 // "---\n"
		for _, l := range d.lines {
			n += len(l) + 1
		}
		bytes[d.kind] += n
		count[d.kind]++
	}
	limit := map[string]int{
		"Pod": 1100, "Deployment": 1100, "StatefulSet": 1200, "DaemonSet": 1100, "CronJob": 1200,
		"ReplicaSet": 1150, "Job": 1400, "Node": 1150, "PersistentVolume": 900,
	}
	for kind, n := range count {
		max := limit[kind]
		if max == 0 {
			max = 800
		}
		if kind == "ConfigMap" {
			max = 1500 // the mesh config and the root certificate
		}
		if avg := bytes[kind] / n; avg > max {
			t.Errorf("%s: %d bytes on average, want at most %d", kind, avg, max)
		}
	}
}
