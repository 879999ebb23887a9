package registryhttp

import (
	"container/list"
	"sync"
	"time"
)

// cache is a bounded LRU of recent registry answers with an expiry per
// entry. It is safe for concurrent use. Values are never modified after
// they are put: callers copy what they hand out.
type cache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // front: most recently used
	items map[string]*list.Element
}

type cacheEntry struct {
	key     string
	val     any  // verifier.Citizen, []verifier.Card, verifier.Card or verifier.Facility
	missing bool // a negative entry: the registry answered 404
	expires time.Time
}

// newCache returns a cache of at most max entries; max ≤ 0 returns nil,
// which caches nothing.
func newCache(max int) *cache {
	if max <= 0 {
		return nil
	}
	return &cache{max: max, ll: list.New(), items: make(map[string]*list.Element)}
}

// put stores an answer until expires, replacing any earlier one, and
// evicts the least recently used entry when full.
func (c *cache) put(key string, val any, missing bool, expires time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*cacheEntry)
		e.val, e.missing, e.expires = val, missing, expires
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, val: val, missing: missing, expires: expires})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).key)
	}
}

// get returns the entry for key if it has not expired at now.
func (c *cache) get(key string, now time.Time) (val any, missing, ok bool) {
	if c == nil {
		return nil, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.ll.Remove(el)
		delete(c.items, key)
		return nil, false, false
	}
	c.ll.MoveToFront(el)
	return e.val, e.missing, true
}

// remove forgets key.
func (c *cache) remove(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.ll.Remove(el)
		delete(c.items, key)
	}
}

// len returns the number of entries, expired ones included.
func (c *cache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
