package synth

import "strconv"

// Identities: uids, generated-name suffixes and the hashes they come from.

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

// uidString returns the uid of object i of a kind as a string.
func (g *gen) uidString(tag uint64, i int) string {
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
