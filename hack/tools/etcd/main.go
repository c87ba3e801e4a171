// Command etcd is the etcd server, built from the go.etcd.io/etcd/server/v3
// release pinned in ../go.mod (the one k8s.io/kubernetes uses for its etcd
// client). It only forwards to the upstream entrypoint.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
