package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/synth"
)

// BenchmarkJudge judges single changes in a 10,000-object cluster.
func BenchmarkJudge(b *testing.B) {
	e, p := testEngine(b)
	s := synthCluster(b, synth.Scaled(0.088))
	total := 0
	for _, l := range s.Resources {
		total += len(l)
	}
	b.Logf("%d objects", total)
	j := newTestJudge(b, e, p, s)
	for _, key := range []string{collect.Pods, collect.ReplicaSets, collect.Deployments, collect.Services, collect.PeerAuthentications, collect.DestinationRules, collect.ServiceEntries} {
		rt, _ := collect.TypeByKey(key)
		objs := s.Resources[key]
		b.Run(key+"/create", func(b *testing.B) {
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				o := deepCopy(objs[(i*7919)%len(objs)])
				collect.Map(o, "metadata")["name"] = fmt.Sprintf("bench-%d", i)
				v, err := j.Judge(context.Background(), rt, nil, o)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.Logf("%s: %d objects, global %v, %d controls", key, v.Objects, v.Global, len(v.Controls))
				}
			}
		})
		b.Run(key+"/update", func(b *testing.B) {
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				old := objs[(i*7919)%len(objs)]
				o := deepCopy(old)
				setPath(o, []string{"metadata", "labels", "bench"}, fmt.Sprint(i))
				if _, err := j.Judge(context.Background(), rt, old, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandler answers pod creates in a 10,000-object cluster through
// the review handler (decoding, judging, encoding, logging), from as many
// goroutines as there are CPUs.
func BenchmarkHandler(b *testing.B) {
	e, p := testEngine(b)
	s := synthCluster(b, synth.Scaled(0.088))
	j := newTestJudge(b, e, p, s)
	h := NewHandler(j, Options{Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	rt, _ := collect.TypeByKey(collect.Pods)
	var bodies [][]byte
	for i := 0; i < 4000; i++ {
		o := deepCopy(s.Resources[rt.Key][(i*7919)%len(s.Resources[rt.Key])])
		collect.Map(o, "metadata")["name"] = fmt.Sprintf("bench-%d", i)
		body, _ := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": map[string]any{
			"uid": fmt.Sprint(i), "kind": map[string]any{"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
			"namespace": collect.Meta(o).Namespace, "name": collect.Meta(o).Name, "object": o}})
		bodies = append(bodies, body)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[int(n.Add(1))%len(bodies)]
			r := httptest.NewRequest(http.MethodPost, PathValidate, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("HTTP %d: %s", w.Code, w.Body)
			}
		}
	})
}

// cpuPerOp reports the process's CPU time (user and system) per operation:
// on a shared machine, wall time per operation says more about the
// neighbours than about the code.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNeighbourhood finds the neighbourhoods of creates in a
// 10,000-object cluster: the part of a judgement every change of these
// types pays, whatever is cached.
func BenchmarkNeighbourhood(b *testing.B) {
	e, p := testEngine(b)
	s := synthCluster(b, synth.Scaled(0.088))
	j := newTestJudge(b, e, p, s)
	for _, key := range []string{collect.Services, collect.PeerAuthentications, collect.DestinationRules, collect.ServiceEntries} {
		rt, _ := collect.TypeByKey(key)
		objs := s.Resources[key]
		sub := j.subsets[key]
		reads, readsObjects := j.reads[sub], sub.ReadsObjects()
		var changes []change
		for i := range 1000 {
			o := objs[(i*7919)%len(objs)]
			m := collect.Meta(o)
			changes = append(changes, change{t: rt, ns: m.Namespace, name: fmt.Sprintf("bench-%d", i), new: o})
		}
		b.Run(key, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				j.state.mu.RLock()
				entries, _, _ := j.state.neighbourhood(changes[i%len(changes)], reads, readsObjects, true)
				j.state.mu.RUnlock()
				n += len(entries)
			}
			b.ReportMetric(float64(n)/float64(b.N), "objects/op")
		})
	}
}
