package main

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"time"
)

// stallNap is how long the stall probe sleeps at a time.
const stallNap = time.Millisecond

// stalls is how promptly the machine ran a thread that had finished
// waiting: the probe's naps, how many ended more than 2 and 5 ms late, and
// the latest. On a virtual machine a thread can wait for its CPU while the
// host runs something else; every request in flight waits with it.
type stalls struct {
	naps, over2, over5 int
	max                time.Duration
}

// probeStalls sleeps stallNap at a time, with nanosleep on a thread of its
// own, for d (or until ctx ends) and counts the naps that ended late.
func probeStalls(ctx context.Context, d time.Duration) stalls {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var s stalls
	end := time.Now().Add(d)
	for ctx.Err() == nil && time.Now().Before(end) {
		start := time.Now()
		nanosleep(stallNap)
		s.add(time.Since(start) - stallNap)
	}
	return s
}

// nanosleep sleeps d with the nanosleep system call, resuming after
// signals: the calling thread wakes as soon as the kernel runs it, where
// Go's timers may wake an idle process up to a millisecond late.
func nanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

// add counts one nap that ended late by late.
func (s *stalls) add(late time.Duration) {
	s.naps++
	if late > 2*time.Millisecond {
		s.over2++
	}
	if late > 5*time.Millisecond {
		s.over5++
	}
	s.max = max(s.max, late)
}

func (s stalls) String() string {
	return fmt.Sprintf("a thread sleeping 1 ms woke more than 2 ms late %d times and more than 5 ms late %d times in %d naps (at most %s late)",
		s.over2, s.over5, s.naps, ms(s.max))
}
