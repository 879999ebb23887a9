package main

import (
	"math/bits"
	"time"
)

// hist is a log-linear latency histogram in the manner of HDR histograms:
// values (nanoseconds) below 2^subBits are exact, above that each power of
// two is split into 2^(subBits-1) equal buckets, so a bucket is at most
// 1/64 (1.6 %) of its value wide. The exact minimum, maximum and sum are
// kept beside it. The zero value is ready to use; it is not safe for
// concurrent use (each worker records into its own and they are merged).
type hist struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	min    time.Duration
	max    time.Duration
}

const (
	subBits  = 7                  // values below 128 ns are exact
	subCount = 1 << (subBits - 1) // 64 buckets per power of two above that
	maxExp   = 40 - subBits       // up to 2^40 ns (18 minutes); longer is clamped
	// histBuckets: the exact range plus subCount buckets per exponent.
	histBuckets = 1<<subBits + (maxExp+1)*subCount
)

func bucketOf(v time.Duration) int {
	if v < 0 {
		v = 0
	}
	u := uint64(v)
	if u < 1<<subBits {
		return int(u)
	}
	e := bits.Len64(u) - subBits // u>>e is in [2^(subBits-1), 2^subBits)
	if e > maxExp {
		return histBuckets - 1
	}
	return 1<<subBits + (e-1)*subCount + int(u>>uint(e)) - subCount
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (lo, width uint64) {
	if i < 1<<subBits {
		return uint64(i), 1
	}
	j := i - 1<<subBits
	e := j/subCount + 1
	sub := uint64(j%subCount + subCount)
	return sub << uint(e), 1 << uint(e)
}

func (h *hist) record(v time.Duration) {
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
}

func (h *hist) merge(o *hist) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		if c != 0 {
			h.counts[i] += c
		}
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

func (h *hist) reset() { *h = hist{} }

// quantile returns the value at quantile q (0 < q ≤ 1): the middle of the
// bucket holding the ceil(q·n)-th smallest value, clamped to [min, max].
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	if rank > h.n {
		rank = h.n
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, w := bucketRange(i)
			v := time.Duration(lo + w/2)
			if w == 1 {
				v = time.Duration(lo)
			}
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

func (h *hist) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
