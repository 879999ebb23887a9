package outbox

import (
	"os"
)

// FailWrites makes every later write and sync of l's files fail with err,
// as a full disk does (ENOSPC): a write takes half its bytes, then fails.
// nil makes them work again.
func FailWrites(l *Ledger, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.wrapFile = plainFile
	} else {
		l.wrapFile = func(f *os.File) fileWriter { return fullDisk{f, err} }
	}
	if l.f != nil {
		l.out = l.wrapFile(l.f)
	}
}

type fullDisk struct {
	f   *os.File
	err error
}

func (d fullDisk) Write(b []byte) (int, error) {
	n, _ := d.f.Write(b[:len(b)/2])
	return n, d.err
}

func (d fullDisk) Sync() error { return d.err }
