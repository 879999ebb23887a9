package claimxml

import (
	"errors"
	"io"
)

// errConstructTooLong stops a comment, CDATA section or processing
// instruction longer than the text bound: the decoder would hold it whole,
// and unlike a text it cannot be cut short without changing the markup.
var errConstructTooLong = errors.New("claimxml: a comment or CDATA section longer than the limit")

// lexState is where runLimiter is in the markup.
type lexState uint8

const (
	inText    lexState = iota // text or inside a tag
	afterLT                   // just read '<'
	afterBang                 // read "<!" and part of "--" or "[CDATA["
	inComment                 // inside <!-- … -->
	inCDATA                   // inside <![CDATA[ … ]]>
)

// runLimiter bounds the memory encoding/xml needs for one token, whatever
// the file's size. The decoder holds a whole text in memory before it
// returns it, so a file with one 2 GB text would need 2 GB. The limiter
// counts the bytes since the last '<'; past max it drops the rest of the
// run up to the next '<' and counts a cut, so the decoder sees a short
// text and the caller, comparing cuts before and after an element, rejects
// that element alone and goes on with the rest of the file. Comments and
// CDATA sections, which may hold '<', are counted whole and refused past
// max (errConstructTooLong).
//
// Hand-written: encoding/xml has no per-token bound, and no library adds
// one.
type runLimiter struct {
	r    io.Reader
	max  int64
	run  int64
	cuts int // runs cut short so far
	drop bool
	st   lexState
	seen int     // bytes of "--" or "[CDATA[" matched after "<!"
	tail [2]byte // the last two bytes inside a comment or CDATA section
}

func (l *runLimiter) Read(p []byte) (int, error) {
	for {
		n, err := l.r.Read(p)
		if n == 0 {
			return 0, err
		}
		w := 0
		for _, b := range p[:n] {
			switch l.st {
			case inComment, inCDATA:
				l.run++
				if l.run > l.max {
					return 0, errConstructTooLong
				}
				end := l.st == inComment && b == '>' && l.tail == [2]byte{'-', '-'} ||
					l.st == inCDATA && b == '>' && l.tail == [2]byte{']', ']'}
				l.tail = [2]byte{l.tail[1], b}
				if end {
					l.st, l.run = inText, 0
				}
			case afterBang:
				const cdata = "[CDATA["
				switch {
				case l.seen < 2 && b == '-' && (l.seen == 0 || l.seen == 1):
					l.seen++
					if l.seen == 2 {
						l.st, l.tail = inComment, [2]byte{}
					}
				case l.seen < len(cdata) && b == cdata[l.seen] && (l.seen > 0 || b == '['):
					l.seen++
					if l.seen == len(cdata) {
						l.st, l.tail = inCDATA, [2]byte{}
					}
				default:
					l.st = inText
				}
				l.run++
			default:
				if b == '<' {
					l.run, l.drop, l.st = 0, false, afterLT
					break
				}
				if l.st == afterLT {
					l.st = inText
					if b == '!' {
						l.st, l.seen = afterBang, 0
					}
				}
				if l.drop {
					continue
				}
				l.run++
				if l.run > l.max {
					l.drop = true
					l.cuts++
					continue
				}
			}
			p[w] = b
			w++
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}
