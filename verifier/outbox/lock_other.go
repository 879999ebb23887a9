//go:build !unix

package outbox

import "os"

// tryLock has no advisory lock to take on this system: two processes must
// not share an outbox directory here.
func tryLock(*os.File) (bool, error) { return true, nil }
