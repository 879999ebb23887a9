package qrimage

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// This file re-reads the data codewords of a decoded symbol so that byte-mode
// segments are read as UTF-8 whenever they are valid UTF-8. gozxing (like
// ZXing) guesses a charset for byte segments without an ECI marker and would
// read the UTF-8 bytes of "Nguyễn" as Shift_JIS or ISO-8859-1.

type segKind int

const (
	segText  segKind = iota // already text (numeric, alphanumeric, kanji, hanzi)
	segBytes                // byte mode
)

type segment struct {
	kind segKind
	text string
	data []byte
	eci  *common.CharacterSetECI // in effect for a byte segment, nil = none
}

var errBits = errors.New("qrimage: bit stream ends early")

type bitReader struct {
	b   []byte
	pos int // in bits
}

func (r *bitReader) avail() int { return len(r.b)*8 - r.pos }

func (r *bitReader) read(n int) (int, error) {
	if n < 0 || n > 32 || n > r.avail() {
		return 0, errBits
	}
	v := 0
	for i := 0; i < n; i++ {
		byt := r.b[r.pos>>3]
		bit := (byt >> (7 - uint(r.pos&7))) & 1
		v = v<<1 | int(bit)
		r.pos++
	}
	return v, nil
}

// versionForDataCodewords finds the version whose data capacity at ecLevel is
// n codewords.
func versionForDataCodewords(n int, ecLevel string) int {
	lvl, err := decoder.ErrorCorrectionLevel_ValueOf(ecLevel)
	if err != nil {
		return 0
	}
	for v := 1; v <= 40; v++ {
		ver, err := decoder.Version_GetVersionForNumber(v)
		if err != nil {
			return 0
		}
		ecb := ver.GetECBlocksForLevel(lvl)
		if ecb == nil {
			continue
		}
		if ver.GetTotalCodewords()-ecb.GetTotalECCodewords() == n {
			return v
		}
	}
	return 0
}

const alnumChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

func countBits(mode int, version int) int {
	idx := 0
	if version >= 27 {
		idx = 2
	} else if version >= 10 {
		idx = 1
	}
	switch mode {
	case 1:
		return [3]int{10, 12, 14}[idx]
	case 2:
		return [3]int{9, 11, 13}[idx]
	case 4:
		return [3]int{8, 16, 16}[idx]
	case 8, 13:
		return [3]int{8, 10, 12}[idx]
	}
	return 0
}

// parseSegments splits the data codewords into segments.
func parseSegments(raw []byte, version int) ([]segment, error) {
	r := &bitReader{b: raw}
	var segs []segment
	var eci *common.CharacterSetECI
	fnc1 := false
	for {
		if r.avail() < 4 {
			return segs, nil
		}
		mode, _ := r.read(4)
		switch mode {
		case 0:
			return segs, nil
		case 5, 9: // FNC1 first / second position
			fnc1 = true
			if mode == 9 {
				if _, err := r.read(8); err != nil { // application indicator
					return nil, err
				}
			}
		case 3: // structured append
			if _, err := r.read(16); err != nil {
				return nil, err
			}
		case 7: // ECI
			v, err := readECI(r)
			if err != nil {
				return nil, err
			}
			e, err := common.GetCharacterSetECIByValue(v)
			if err != nil || e == nil {
				return nil, errors.New("qrcode: unsupported ECI")
			}
			eci = e
		case 13: // Hanzi
			subset, err := r.read(4)
			if err != nil {
				return nil, err
			}
			n, err := r.read(countBits(13, version))
			if err != nil {
				return nil, err
			}
			if n*13 > r.avail() {
				return nil, errBits
			}
			buf := make([]byte, 0, 2*n)
			for i := 0; i < n; i++ {
				t, _ := r.read(13)
				a := ((t / 0x060) << 8) | (t % 0x060)
				if a < 0x00a00 {
					a += 0x0a1a1
				} else {
					a += 0x0a6a1
				}
				buf = append(buf, byte(a>>8), byte(a))
			}
			if subset == 1 {
				s, err := common.StringUtils_GB2312_CHARSET.NewDecoder().Bytes(buf)
				if err != nil {
					return nil, err
				}
				segs = append(segs, segment{kind: segText, text: string(s)})
			}
		case 1, 2, 4, 8:
			n, err := r.read(countBits(mode, version))
			if err != nil {
				return nil, err
			}
			switch mode {
			case 1:
				var sb strings.Builder
				for n >= 3 {
					v, err := r.read(10)
					if err != nil || v >= 1000 {
						return nil, errBits
					}
					sb.WriteString(pad(v, 3))
					n -= 3
				}
				if n == 2 {
					v, err := r.read(7)
					if err != nil || v >= 100 {
						return nil, errBits
					}
					sb.WriteString(pad(v, 2))
				} else if n == 1 {
					v, err := r.read(4)
					if err != nil || v >= 10 {
						return nil, errBits
					}
					sb.WriteString(pad(v, 1))
				}
				segs = append(segs, segment{kind: segText, text: sb.String()})
			case 2:
				var b []byte
				for n > 1 {
					v, err := r.read(11)
					if err != nil || v/45 >= 45 {
						return nil, errBits
					}
					b = append(b, alnumChars[v/45], alnumChars[v%45])
					n -= 2
				}
				if n == 1 {
					v, err := r.read(6)
					if err != nil || v >= 45 {
						return nil, errBits
					}
					b = append(b, alnumChars[v])
				}
				if fnc1 {
					// %% -> %, % -> GS
					var o []byte
					for i := 0; i < len(b); i++ {
						if b[i] == '%' {
							if i+1 < len(b) && b[i+1] == '%' {
								o = append(o, '%')
								i++
							} else {
								o = append(o, 0x1d)
							}
						} else {
							o = append(o, b[i])
						}
					}
					b = o
				}
				segs = append(segs, segment{kind: segText, text: string(b)})
			case 4:
				if 8*n > r.avail() {
					return nil, errBits
				}
				b := make([]byte, n)
				for i := range b {
					v, _ := r.read(8)
					b[i] = byte(v)
				}
				segs = append(segs, segment{kind: segBytes, data: b, eci: eci})
			case 8:
				if n*13 > r.avail() {
					return nil, errBits
				}
				buf := make([]byte, 0, 2*n)
				for i := 0; i < n; i++ {
					t, _ := r.read(13)
					a := ((t / 0x0c0) << 8) | (t % 0x0c0)
					if a < 0x01f00 {
						a += 0x08140
					} else {
						a += 0x0c140
					}
					buf = append(buf, byte(a>>8), byte(a))
				}
				s, err := common.StringUtils_SHIFT_JIS_CHARSET.NewDecoder().Bytes(buf)
				if err != nil {
					return nil, err
				}
				segs = append(segs, segment{kind: segText, text: string(s)})
			}
		default:
			return nil, errors.New("qrcode: unknown mode")
		}
	}
}

func pad(v, n int) string {
	s := strconv.Itoa(v)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

func readECI(r *bitReader) (int, error) {
	first, err := r.read(8)
	if err != nil {
		return 0, err
	}
	switch {
	case first&0x80 == 0:
		return first & 0x7f, nil
	case first&0xc0 == 0x80:
		s, err := r.read(8)
		return (first&0x3f)<<8 | s, err
	case first&0xe0 == 0xc0:
		s, err := r.read(16)
		return (first&0x1f)<<16 | s, err
	}
	return 0, errors.New("qrcode: bad ECI designator")
}

// textFromCodewords rebuilds the text of a symbol from its data codewords.
// Byte segments are read as UTF-8 when all the bytes of the symbol's byte
// segments together are valid UTF-8; otherwise each byte run is read by its
// ECI charset, or, without ECI, by a guessed charset (as ZXing does).
func textFromCodewords(raw []byte, ecLevel string) (string, bool) {
	v := versionForDataCodewords(len(raw), ecLevel)
	if v == 0 {
		return "", false
	}
	segs, err := parseSegments(raw, v)
	if err != nil {
		return "", false
	}
	var all, plain []byte
	for _, s := range segs {
		if s.kind == segBytes {
			all = append(all, s.data...)
			if s.eci == nil {
				plain = append(plain, s.data...)
			}
		}
	}
	useUTF8 := utf8.Valid(all)
	var guessed encoding.Encoding
	if !useUTF8 && len(plain) > 0 {
		guessed, err = common.StringUtils_guessCharset(plain, nil)
		if err != nil || guessed == nil {
			guessed = unicode.UTF8
		}
	}
	var sb strings.Builder
	// Adjacent byte segments with the same charset are decoded together
	// so that a multi-byte character split between segments survives.
	var run []byte
	var runEnc encoding.Encoding
	runKey := ""
	flush := func() bool {
		if len(run) == 0 {
			return true
		}
		if runEnc == nil {
			sb.Write(run)
		} else {
			out, err := runEnc.NewDecoder().Bytes(run)
			if err != nil {
				return false
			}
			sb.Write(out)
		}
		run = run[:0]
		return true
	}
	for _, s := range segs {
		if s.kind != segBytes {
			if !flush() {
				return "", false
			}
			sb.WriteString(s.text)
			continue
		}
		var enc encoding.Encoding // nil = raw UTF-8
		key := "utf8"
		switch {
		case useUTF8:
		case s.eci != nil:
			enc = s.eci.GetCharset()
			key = "eci" + strconv.Itoa(s.eci.GetValue())
		default:
			enc = guessed
			key = "guess"
		}
		if len(run) > 0 && key != runKey {
			if !flush() {
				return "", false
			}
		}
		runEnc, runKey = enc, key
		run = append(run, s.data...)
	}
	if !flush() {
		return "", false
	}
	return sb.String(), true
}
