package webhook

import (
	"context"
	"fmt"
	"testing"

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
	for _, key := range []string{collect.Pods, collect.Deployments, collect.Services, collect.PeerAuthentications, collect.DestinationRules, collect.ServiceEntries} {
		rt, _ := collect.TypeByKey(key)
		objs := s.Resources[key]
		b.Run(key+"/create", func(b *testing.B) {
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


