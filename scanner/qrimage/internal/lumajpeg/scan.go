// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package lumajpeg

import "encoding/binary"

// Derived from image/jpeg's scan.go (Go 1.26), sequential scans only. The
// changes: chroma blocks are decoded and dropped; coefficients are
// dequantized as they are decoded (image/jpeg multiplies all 64 after);
// the inverse DCT knows which rows hold coefficients; the look-up-table
// paths of decodeHuffman and receiveExtend are inlined in the block loop;
// the plane is the Decoder's reused buffer.

// makePlane sizes the luma plane for mxx by myy MCUs, reusing d.buf.
func (d *decoder) makePlane(mxx, myy int) {
	d.stride = 8 * d.comp[0].h * mxx
	n := d.stride * 8 * d.comp[0].v * myy
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	d.pix = d.buf[:n]
}

// scanComp is what the block loop needs of a scan's component.
type scanComp struct {
	compIndex uint8
	luma      bool
	h, v      int
	dc, ac    *huffman
	qt        *block
}

// Specified in section B.2.3.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	var scan [maxComponents]scanComp
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return FormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return FormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		td := d.tmp[2+2*i] >> 4
		if td > maxTh || (d.baseline && td > 1) {
			return FormatError("bad Td value")
		}
		ta := d.tmp[2+2*i] & 0x0f
		if ta > maxTh || (d.baseline && ta > 1) {
			return FormatError("bad Ta value")
		}
		scan[i].luma = compIndex == 0
		scan[i].h, scan[i].v = d.comp[compIndex].h, d.comp[compIndex].v
		scan[i].dc = &d.huff[dcTable][td]
		scan[i].ac = &d.huff[acTable][ta]
		scan[i].qt = &d.quant[d.comp[compIndex].tq]
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if d.nComp > 1 && totalHV > 10 {
		return FormatError("total sampling factors too large")
	}
	if d.isRGB() {
		// Known from the markers before the first scan in practice:
		// image/jpeg would return RGB pixels.
		return unsupportedError("RGB colour transform")
	}

	// mxx and myy are the number of MCUs (Minimum Coded Units) in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v // The h and v values from the Y components.
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	if d.pix == nil {
		d.makePlane(mxx, myy)
	}

	d.bits = bits{}
	mcu, expectedRST := 0, uint8(rst0Marker)
	var (
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by     int
		blockCount int
	)
	for my := 0; my < myy; my++ {
		for mx := 0; mx < mxx; mx++ {
			for i := 0; i < nComp; i++ {
				sc := &scan[i]
				hi, vi := sc.h, sc.v
				for j := 0; j < hi*vi; j++ {
					// The blocks are traversed one MCU at a time. For 4:2:0 chroma
					// subsampling, there are four Y 8x8 blocks in every 16x16 MCU.
					// A non-interleaved scan (nComp == 1) has no data for the
					// blocks outside the image at the pixel level.
					if nComp != 1 {
						bx = hi*mx + j%hi
						by = vi*my + j/hi
					} else {
						q := mxx * hi
						bx = blockCount % q
						by = blockCount / q
						blockCount++
						if bx*8 >= d.width || by*8 >= d.height {
							continue
						}
					}

					// Decode the DC coefficient, as specified in section F.2.2.1.
					value, err := d.decodeHuffman(sc.dc)
					if err != nil {
						return err
					}
					if value > 16 {
						return FormatError("excessive DC component")
					}
					dcDelta, err := d.receiveExtend(value)
					if err != nil {
						return err
					}
					dc[sc.compIndex] += dcDelta

					var rows uint8 = 1
					last := int32(0)
					if d.eobRun > 0 {
						d.eobRun--
					} else if rows, last, err = d.decodeAC(sc.ac, sc.qt, sc.luma); err != nil {
						return err
					}
					if sc.luma {
						d.b[0] = dc[0] * sc.qt[0]
						d.reconstructBlock(rows, last, bx, by)
					}
				} // for j
			} // for i
			mcu++
			if d.ri > 0 && mcu%d.ri == 0 && mcu < mxx*myy {
				// For well-formed input, the RST[0-7] restart marker follows
				// immediately. For corrupt input, call findRST to try to
				// resynchronize.
				if err := d.readFull(d.tmp[:2]); err != nil {
					return err
				} else if d.tmp[0] != 0xff || d.tmp[1] != expectedRST {
					if err := d.findRST(expectedRST); err != nil {
						return err
					}
				}
				expectedRST++
				if expectedRST == rst7Marker+1 {
					expectedRST = rst0Marker
				}
				// Reset the Huffman decoder.
				d.bits = bits{}
				// Reset the DC components, as per section F.2.1.3.1.
				dc = [maxComponents]int32{}
				// Reset the progressive decoder state, as per section G.1.2.2.
				d.eobRun = 0
			}
		} // for mx
	} // for my
	for _, sc := range scan[:nComp] {
		if sc.luma {
			d.lumaDone = true
		}
	}
	return nil
}

// decodeAC decodes a block's AC coefficients, as specified in section
// F.2.2.2. When store is set it writes them, dequantized by qt, into d.b
// (natural order) and returns the rows of d.b that hold one (bit i for row
// i, row 0 always) and the zig-zag index of the last; otherwise it only
// reads them past.
//
// The bit reader's state lives in locals (a, n, i, nUnreadable) while the
// common cases run: a byte that is not 0xff added when fewer than 8 bits
// are left (ensureNBits(8)'s usual single step), a code of at most 8 bits
// from the look-up table, extra bits already there. Each is the state
// change that image/jpeg's functions make; for anything else the state is
// written back and those functions run.
func (d *decoder) decodeAC(huff *huffman, qt *block, store bool) (rows uint8, last int32, err error) {
	rows = 1
	a, n := d.bits.a, d.bits.n
	i, nUnreadable := d.i, d.nUnreadable
	data := d.data
	lut := &huff.lut
	for zig := int32(1); zig <= blockSize-1; zig++ {
		if n < lutSize && i+2 <= len(data) && data[i] != 0xff {
			a = a<<8 | uint32(data[i])
			i++
			nUnreadable = 1
			n += 8
		}
		var value uint8
		if v := lut[(a>>uint32(n-lutSize))&0xff]; v != 0 && n >= lutSize {
			n -= int32(v&0xff) - 1
			value = uint8(v >> 8)
		} else {
			d.bits.a, d.bits.n, d.i, d.nUnreadable = a, n, i, nUnreadable
			if value, err = d.decodeHuffman(huff); err != nil {
				return 0, 0, err
			}
			a, n, i, nUnreadable = d.bits.a, d.bits.n, d.i, d.nUnreadable
		}
		val0 := value >> 4
		val1 := value & 0x0f
		if val1 != 0 {
			zig += int32(val0)
			if zig > blockSize-1 {
				break
			}
			// receiveExtend, inlined when the bits are there.
			var ac int32
			if t := int32(val1); n >= t {
				n -= t
				s := int32(1) << t
				x := int32(a>>uint32(n)) & (s - 1)
				// x < s/2 ? x + 1 - s : x, without a branch.
				ac = x + ((x-s>>1)>>31)&(1-s)
			} else {
				d.bits.a, d.bits.n, d.i, d.nUnreadable = a, n, i, nUnreadable
				if ac, err = d.receiveExtend(val1); err != nil {
					return 0, 0, err
				}
				a, n, i, nUnreadable = d.bits.a, d.bits.n, d.i, d.nUnreadable
			}
			if store {
				k := unzig[zig]
				d.b[k] = ac * qt[zig]
				rows |= 1 << (k >> 3)
				last = zig
			}
		} else {
			if val0 != 0x0f {
				d.bits.a, d.bits.n, d.i, d.nUnreadable = a, n, i, nUnreadable
				d.eobRun = uint16(1 << val0)
				if val0 != 0 {
					bits, err := d.decodeBits(int32(val0))
					if err != nil {
						return 0, 0, err
					}
					d.eobRun |= uint16(bits)
				}
				d.eobRun--
				return rows, last, nil
			}
			zig += 0x0f
		}
	}
	d.bits.a, d.bits.n, d.i, d.nUnreadable = a, n, i, nUnreadable
	return rows, last, nil
}

// reconstructBlock performs the inverse DCT of d.b (dequantized; rows and
// last as decodeAC returns them), stores it to the plane and zeroes d.b.
func (d *decoder) reconstructBlock(rows uint8, last int32, bx, by int) {
	stride := d.stride
	dst := d.pix[8*(by*stride+bx):]
	b := &d.b
	if rows == 1 {
		// Only row 0 holds coefficients: after idctRows, every column
		// holds only its first value x0, and idctCols turns it into eight
		// times ((x0 + 1<<19) >> 2) >> 18 (every other term is zero), so
		// all eight rows of the block are the same.
		var row [8]byte
		if last == 0 {
			// DC only: idctRows turns b[0] into eight times b[0]<<17.
			c := clamp((((b[0] << 17) + 1<<19) >> 2) >> 18)
			row = [8]byte{c, c, c, c, c, c, c, c}
			b[0] = 0
		} else {
			idctRows(b, 1)
			for x := range row {
				row[x] = clamp(((b[x] + 1<<19) >> 2) >> 18)
				b[x] = 0
			}
		}
		v := binary.LittleEndian.Uint64(row[:])
		for y := 0; y < 8; y++ {
			binary.LittleEndian.PutUint64(dst[y*stride:y*stride+8], v)
		}
		return
	}
	idctRows(b, rows)
	idctCols(b)
	// Level shift by +128, clip to [0, 255], and write to dst.
	for y := 0; y < 8; y++ {
		s := b[8*y : 8*y+8 : 8*y+8]
		row := [8]byte{clamp(s[0]), clamp(s[1]), clamp(s[2]), clamp(s[3]), clamp(s[4]), clamp(s[5]), clamp(s[6]), clamp(s[7])}
		binary.LittleEndian.PutUint64(dst[y*stride:y*stride+8], binary.LittleEndian.Uint64(row[:]))
	}
	*b = block{}
}

// clamp is image/jpeg's level shift by +128 and clip to [0, 255].
func clamp(c int32) uint8 {
	if uint32(c+128) > 255 { // rare: one test for the usual case
		if c < -128 {
			return 0
		} else if c > 127 {
			return 255
		}
	}
	return uint8(c + 128)
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0fe9e18671105e94f7cbf044d4a1d157e6/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal FormatError.
				return FormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}
