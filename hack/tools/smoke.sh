#!/usr/bin/env bash
# Smoke test for the control-plane binaries built by hack/tools/tools.mk.
#
# Starts etcd and kube-apiserver on free 127.0.0.1 ports in a temporary
# directory, waits for /readyz, runs kubectl against it, then stops both and
# removes the directory (also on failure or Ctrl-C). The flags below are the
# minimal set that works for the pinned Kubernetes release; the Go test
# harness uses the same ones.
#
#   hack/tools/smoke.sh            # binaries from $TOOLS_BIN (default bin/tools)
#   ETCD=... KUBE_APISERVER=... KUBECTL=... hack/tools/smoke.sh
#   KEEP_TMP=1 hack/tools/smoke.sh # keep the temp dir (logs, certs) for a look
#
# Needs: bash, openssl, curl. Traffic stays on 127.0.0.1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TOOLS_BIN:-$root/bin/tools}
ETCD=${ETCD:-$bin/etcd}
KUBE_APISERVER=${KUBE_APISERVER:-$bin/kube-apiserver}
KUBECTL=${KUBECTL:-$bin/kubectl}
READY_TIMEOUT=${READY_TIMEOUT:-120} # seconds, per process

for b in "$ETCD" "$KUBE_APISERVER" "$KUBECTL"; do
	[[ -x $b ]] || { echo "smoke: $b not found; run 'make tools' first" >&2; exit 1; }
done
for c in openssl curl; do
	command -v "$c" >/dev/null || { echo "smoke: $c is required" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tilsyn-smoke.XXXXXX")
etcd_pid= api_pid=

stop() { # stop PID NAME: SIGTERM, then SIGKILL after 10 s
	local pid=$1 name=$2 i
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "smoke: $name did not stop on SIGTERM, killing" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	set +e
	if ((rc != 0)); then # logs as they were at the failure, before shutdown noise
		for f in "$tmp/etcd.log" "$tmp/kube-apiserver.log"; do
			[[ -s $f ]] || continue
			echo "---- last lines of $(basename "$f") ----" >&2
			tail -n 25 "$f" >&2
		done
	fi
	stop "$api_pid" kube-apiserver
	stop "$etcd_pid" etcd
	if [[ ${KEEP_TMP:-} == 1 ]]; then
		echo "smoke: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Free loopback ports: random ones below the kernel's ephemeral range
# (32768+), skipping any that accept a connection or were already handed out.
taken=" "
free_port() { # free_port VAR
	local p i
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + RANDOM % 12000))
		[[ $taken == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			taken+="$p "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	echo "smoke: no free port found" >&2
	return 1
}
free_port etcd_client_port
free_port etcd_peer_port
free_port api_port

# wait_for NAME PID CHECK-COMMAND...: poll until the check passes, failing fast
# if the process exits.
wait_for() {
	local name=$1 pid=$2 deadline
	shift 2
	deadline=$(($(date +%s) + READY_TIMEOUT))
	until "$@" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "smoke: $name exited before becoming ready" >&2
			return 1
		fi
		if (($(date +%s) >= deadline)); then
			echo "smoke: $name not ready after ${READY_TIMEOUT}s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# ---- credentials ---------------------------------------------------------
# Static bearer token for an admin in system:masters (bypasses RBAC).
token=$(openssl rand -hex 32)
printf '%s,tilsyn-admin,tilsyn-admin,"system:masters"\n' "$token" >"$tmp/tokens.csv"
# Service-account token signing key pair (required flags since 1.20).
openssl genrsa -out "$tmp/sa.key" 2048 2>/dev/null
openssl rsa -in "$tmp/sa.key" -pubout -out "$tmp/sa.pub" 2>/dev/null
chmod 600 "$tmp/tokens.csv" "$tmp/sa.key"

# ---- etcd ----------------------------------------------------------------
etcd_url=http://127.0.0.1:$etcd_client_port
peer_url=http://127.0.0.1:$etcd_peer_port
etcd_args=(
	--name=smoke
	--data-dir="$tmp/etcd"
	--listen-client-urls="$etcd_url"
	--advertise-client-urls="$etcd_url"
	--listen-peer-urls="$peer_url"
	--initial-advertise-peer-urls="$peer_url"
	--initial-cluster="smoke=$peer_url"
	--initial-cluster-state=new
	--unsafe-no-fsync
	--log-level=warn
)
t0=$(now)
"$ETCD" "${etcd_args[@]}" >"$tmp/etcd.log" 2>&1 &
etcd_pid=$!
etcd_healthy() { curl -fsS "$etcd_url/health" | grep -q '"health":"true"'; }
wait_for etcd "$etcd_pid" etcd_healthy
echo "smoke: etcd healthy on $etcd_url after $(since "$t0")s (pid $etcd_pid)"

# ---- kube-apiserver ------------------------------------------------------
# No insecure port exists any more (removed in 1.24); secure serving binds to
# 127.0.0.1 only, with a self-signed cert written to --cert-dir.
api_url=https://127.0.0.1:$api_port
api_args=(
	--etcd-servers="$etcd_url"
	--bind-address=127.0.0.1
	--advertise-address=127.0.0.1
	--secure-port="$api_port"
	--cert-dir="$tmp/certs"
	--token-auth-file="$tmp/tokens.csv"
	--authorization-mode=RBAC
	--service-account-issuer=https://kubernetes.default.svc.cluster.local
	--service-account-key-file="$tmp/sa.pub"
	--service-account-signing-key-file="$tmp/sa.key"
	--service-cluster-ip-range=10.0.0.0/24
	# The "kubernetes" Service endpoint would be the advertise address, and a
	# loopback IP is invalid there: skip that reconciler (else it logs an
	# error every 10 s). The Service itself is still created.
	--endpoint-reconciler-type=none
	# No kube-controller-manager creates the "default" ServiceAccount, so
	# without this every Pod create is rejected.
	--disable-admission-plugins=ServiceAccount
)
t0=$(now)
"$KUBE_APISERVER" "${api_args[@]}" >"$tmp/kube-apiserver.log" 2>&1 &
api_pid=$!
ca=$tmp/certs/apiserver.crt # self-signed serving cert followed by its CA
api_ready() {
	[[ -s $ca ]] &&
		[[ $(curl -sS --cacert "$ca" -H "Authorization: Bearer $token" "$api_url/readyz") == ok ]]
}
wait_for kube-apiserver "$api_pid" api_ready
echo "smoke: kube-apiserver ready on $api_url after $(since "$t0")s (pid $api_pid)"
rss() { awk '/^VmRSS/ { printf "%d MiB", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
echo "smoke: RSS etcd $(rss "$etcd_pid"), kube-apiserver $(rss "$api_pid")"

# ---- kubectl -------------------------------------------------------------
# KUBECONFIG=/dev/null and a private cache dir keep ~/.kube out of it.
kc() {
	KUBECONFIG=/dev/null "$KUBECTL" --server="$api_url" --token="$token" \
		--certificate-authority="$ca" --cache-dir="$tmp/kube-cache" "$@"
}
echo "smoke: kubectl version"
kc version
echo "smoke: kubectl get ns"
kc get ns
echo "smoke: pod admission without a controller-manager (server-side dry run)"
kc run smoke --image=registry.invalid/smoke:0 --restart=Never --dry-run=server -o name
[[ $(kc auth can-i '*' '*') == yes ]]
echo "smoke: OK"
