// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package lumajpeg decodes the luminance (Y) plane of baseline JPEGs, and
// nothing else, into a buffer reused across frames. It is derived from the
// Go standard library's image/jpeg (Go 1.26; see LICENSE) and returns
// exactly the bytes of image/jpeg's Y plane (or Gray pixels), which the
// tests check file by file.
//
// Why hand-written: the project prefers well-kept libraries to hand-written
// parts, except where a measured bottleneck needs one. This is one. A kiosk
// camera frame (640x480 grey JPEG, 4:2:0, quality 0.8, as the browser's
// canvas.toBlob writes it) must cost at most 4 ms of CPU with its QR
// search; it took 4.4 to 5.1 ms, of which image/jpeg's decoding 3.3 to
// 3.9 ms (TestFrameCPU on the shared 2-core machine; the QR search 0.5 to
// 1.2 ms), mostly dequantizing, inverse-transforming and storing every
// block, the chroma ones included, into a fresh 0.5 MB image. With this
// decoder, in the same conditions: 1.6 to 1.8 ms of decoding, 2.3 to
// 2.7 ms a frame. This decoder Huffman-decodes
// the chroma blocks (the bitstream needs it) but does not transform or
// store them, dequantizes only the coefficients present, takes exact
// shortcuts in the inverse DCT for blocks whose coefficients are all in
// the first row (flat areas, and the flat chroma of grey frames), reads the
// file from memory, and allocates nothing once its buffer has grown.
//
// Anything else (progressive, 12-bit, 4-component, arithmetic-coded,
// lossless, RGB-coded JPEGs) returns an error that wraps ErrUnsupported:
// the caller then falls back to image/jpeg.
//
// The comments kept from image/jpeg cite sections of the JPEG standard
// itself (ITU-T T.81, "section B.2.2" and so on) and a few public pages,
// as image/jpeg's do; none of them is needed to read this code, which its
// tests hold to image/jpeg's output.
package lumajpeg

import (
	"errors"
	"io"
)

// ErrUnsupported is wrapped by the errors of files that are valid JPEGs,
// or may be, but that this decoder does not handle: use image/jpeg.
var ErrUnsupported = errors.New("lumajpeg: not supported, use image/jpeg")

// A FormatError reports that the input is not a valid JPEG.
type FormatError string

func (e FormatError) Error() string { return "invalid JPEG format: " + string(e) }

// unsupportedError reports a feature that image/jpeg may handle.
type unsupportedError string

func (e unsupportedError) Error() string {
	return "lumajpeg: unsupported JPEG feature: " + string(e)
}

func (e unsupportedError) Unwrap() error { return ErrUnsupported }

var errUnsupportedSubsamplingRatio = unsupportedError("luma/chroma subsampling ratio")

// Component specification, specified in section B.2.2.
type component struct {
	h  int   // Horizontal sampling factor.
	v  int   // Vertical sampling factor.
	c  uint8 // Component identifier.
	tq uint8 // Quantization table destination selector.
}

const (
	dcTable = 0
	acTable = 1
	maxTc   = 1
	maxTh   = 3
	maxTq   = 3

	maxComponents = 4
)

const (
	sof0Marker = 0xc0 // Start Of Frame (Baseline Sequential).
	sof1Marker = 0xc1 // Start Of Frame (Extended Sequential).
	sof2Marker = 0xc2 // Start Of Frame (Progressive).
	dhtMarker  = 0xc4 // Define Huffman Table.
	rst0Marker = 0xd0 // ReSTart (0).
	rst7Marker = 0xd7 // ReSTart (7).
	soiMarker  = 0xd8 // Start Of Image.
	eoiMarker  = 0xd9 // End Of Image.
	sosMarker  = 0xda // Start Of Scan.
	dqtMarker  = 0xdb // Define Quantization Table.
	driMarker  = 0xdd // Define Restart Interval.
	comMarker  = 0xfe // COMment.
	// "APPlication specific" markers aren't part of the JPEG spec per se,
	// but in practice, their use is described at
	// https://www.sno.phy.queensu.ca/~phil/exiftool/TagNames/JPEG.html
	app0Marker  = 0xe0
	app14Marker = 0xee
	app15Marker = 0xef
)

// See https://www.sno.phy.queensu.ca/~phil/exiftool/TagNames/JPEG.html#Adobe
const (
	adobeTransformUnknown = 0
)

// unzig maps from the zig-zag ordering to the natural ordering. For example,
// unzig[3] is the column and row of the fourth element in zig-zag order. The
// value is 16, which means first column (16%8 == 0) and third row (16/8 == 2).
var unzig = [blockSize]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// bits holds the unprocessed bits that have been taken from the byte-stream.
// The n least significant bits of a form the unread bits, to be read in MSB to
// LSB order. (image/jpeg also keeps a mask m == 1<<(n-1); it is derived from
// n here.)
type bits struct {
	a uint32 // accumulator.
	n int32  // the number of unread bits in a.
}

// Decoder decodes luma planes. Its zero value is ready to use; it keeps its
// buffers from one Decode to the next, so it must not be used by two
// goroutines at once.
type Decoder struct {
	d decoder
}

// Decode decodes the JPEG in data and returns its luma plane, width*height
// bytes, row-major, stride == width. The slice is the Decoder's buffer:
// valid until the next call. Errors wrap ErrUnsupported for files to hand
// to image/jpeg, io.ErrUnexpectedEOF for truncated ones; others are
// FormatErrors.
func (dec *Decoder) Decode(data []byte) (pix []byte, width, height int, err error) {
	d := &dec.d
	d.reset(data)
	if err := d.decode(); err != nil {
		return nil, 0, 0, err
	}
	// Compact the rows (the buffer's stride covers whole MCUs).
	w, h := d.width, d.height
	if d.stride != w {
		for y := 1; y < h; y++ {
			copy(d.pix[y*w:y*w+w], d.pix[y*d.stride:y*d.stride+w])
		}
	}
	return d.pix[:w*h], w, h, nil
}

type decoder struct {
	// data is the whole file, which plays the part of image/jpeg's byte
	// buffer: i is the read position, and nUnreadable the number of bytes
	// to back i up after overshooting (0, 1 or 2).
	data        []byte
	i           int
	nUnreadable int

	bits          bits
	width, height int

	// pix is the luma plane, stride bytes a row, whole MCUs; buf keeps its
	// memory between frames. lumaDone is set once a scan that holds the
	// luma component has been decoded.
	pix, buf []byte
	stride   int
	lumaDone bool

	ri    int // Restart Interval.
	nComp int

	baseline bool

	jfif                bool
	adobeTransformValid bool
	adobeTransform      uint8
	eobRun              uint16 // End-of-Band run, specified in section G.1.2.2.

	comp  [maxComponents]component
	huff  [maxTc + 1][maxTh + 1]huffman
	quant [maxTq + 1]block // Quantization tables, in zig-zag order.
	tmp   [2 * blockSize]byte
	b     block // the block being decoded
}

// reset prepares d for a new file, keeping its buffer.
func (d *decoder) reset(data []byte) {
	buf := d.buf
	*d = decoder{}
	d.data = data
	d.buf = buf
}

// fill is image/jpeg's refill of its byte buffer: here the buffer is the
// whole file, so there is never more.
func (d *decoder) fill() error {
	return io.ErrUnexpectedEOF
}

// unreadByteStuffedByte undoes the most recent readByteStuffedByte call,
// giving a byte of data back from d.bits to d.bytes. The Huffman look-up table
// requires at least 8 bits for look-up, which means that Huffman decoding can
// sometimes overshoot and read one or two too many bytes. Two-byte overshoot
// can happen when expecting to read a 0xff 0x00 byte-stuffed byte.
func (d *decoder) unreadByteStuffedByte() {
	d.i -= d.nUnreadable
	d.nUnreadable = 0
	if d.bits.n >= 8 {
		d.bits.a >>= 8
		d.bits.n -= 8
	}
}

// readByte returns the next byte, whether buffered or not buffered. It does
// not care about byte stuffing.
func (d *decoder) readByte() (x byte, err error) {
	if d.i >= len(d.data) {
		return 0, d.fill()
	}
	x = d.data[d.i]
	d.i++
	d.nUnreadable = 0
	return x, nil
}

// errMissingFF00 means that readByteStuffedByte encountered an 0xff byte (a
// marker byte) that wasn't the expected byte-stuffed sequence 0xff, 0x00.
var errMissingFF00 error = FormatError("missing 0xff00 sequence")

// readByteStuffedByte is like readByte but is for byte-stuffed Huffman data.
func (d *decoder) readByteStuffedByte() (x byte, err error) {
	// Take the fast path if d.bytes.buf contains at least two bytes.
	if d.i+2 <= len(d.data) {
		x = d.data[d.i]
		d.i++
		d.nUnreadable = 1
		if x != 0xff {
			return x, err
		}
		if d.data[d.i] != 0x00 {
			return 0, errMissingFF00
		}
		d.i++
		d.nUnreadable = 2
		return 0xff, nil
	}

	d.nUnreadable = 0

	x, err = d.readByte()
	if err != nil {
		return 0, err
	}
	d.nUnreadable = 1
	if x != 0xff {
		return x, nil
	}

	x, err = d.readByte()
	if err != nil {
		return 0, err
	}
	d.nUnreadable = 2
	if x != 0x00 {
		return 0, errMissingFF00
	}
	return 0xff, nil
}

// readFull reads exactly len(p) bytes into p. It does not care about byte
// stuffing.
func (d *decoder) readFull(p []byte) error {
	// Unread the overshot bytes, if any.
	if d.nUnreadable != 0 {
		if d.bits.n >= 8 {
			d.unreadByteStuffedByte()
		}
		d.nUnreadable = 0
	}
	n := copy(p, d.data[d.i:])
	d.i += n
	if n < len(p) {
		return d.fill()
	}
	return nil
}

// ignore ignores the next n bytes.
func (d *decoder) ignore(n int) error {
	// Unread the overshot bytes, if any.
	if d.nUnreadable != 0 {
		if d.bits.n >= 8 {
			d.unreadByteStuffedByte()
		}
		d.nUnreadable = 0
	}
	if m := len(d.data) - d.i; n > m {
		d.i = len(d.data)
		return d.fill()
	}
	d.i += n
	return nil
}

// Specified in section B.2.2.
func (d *decoder) processSOF(n int) error {
	if d.nComp != 0 {
		return FormatError("multiple SOF markers")
	}
	switch n {
	case 6 + 3*1: // Grayscale image.
		d.nComp = 1
	case 6 + 3*3: // YCbCr or RGB image.
		d.nComp = 3
	case 6 + 3*4: // YCbCrK or CMYK image.
		return unsupportedError("4 components")
	default:
		return unsupportedError("number of components")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	// We only support 8-bit precision.
	if d.tmp[0] != 8 {
		return unsupportedError("precision")
	}
	d.height = int(d.tmp[1])<<8 + int(d.tmp[2])
	d.width = int(d.tmp[3])<<8 + int(d.tmp[4])
	if int(d.tmp[5]) != d.nComp {
		return FormatError("SOF has wrong length")
	}

	for i := 0; i < d.nComp; i++ {
		d.comp[i].c = d.tmp[6+3*i]
		// Section B.2.2 states that "the value of C_i shall be different from
		// the values of C_1 through C_(i-1)".
		for j := 0; j < i; j++ {
			if d.comp[i].c == d.comp[j].c {
				return FormatError("repeated component identifier")
			}
		}

		d.comp[i].tq = d.tmp[8+3*i]
		if d.comp[i].tq > maxTq {
			return FormatError("bad Tq value")
		}

		hv := d.tmp[7+3*i]
		h, v := int(hv>>4), int(hv&0x0f)
		if h < 1 || 4 < h || v < 1 || 4 < v {
			return FormatError("luma/chroma subsampling ratio")
		}
		if h == 3 || v == 3 {
			return errUnsupportedSubsamplingRatio
		}
		switch d.nComp {
		case 1:
			// If a JPEG image has only one component, section A.2 says "this data
			// is non-interleaved by definition" and section A.2.2 says "[in this
			// case...] the order of data units within a scan shall be left-to-right
			// and top-to-bottom... regardless of the values of H_1 and V_1". Section
			// 4.8.2 also says "[for non-interleaved data], the MCU is defined to be
			// one data unit". Similarly, section A.1.1 explains that it is the ratio
			// of H_i to max_j(H_j) that matters, and similarly for V. For grayscale
			// images, H_1 is the maximum H_j for all components j, so that ratio is
			// always 1. The component's (h, v) is effectively always (1, 1): even if
			// the nominal (h, v) is (2, 1), a 20x5 image is encoded in three 8x8
			// MCUs, not two 16x8 MCUs.
			h, v = 1, 1

		case 3:
			// For YCbCr images, we only support 4:4:4, 4:4:0, 4:2:2, 4:2:0,
			// 4:1:1 or 4:1:0 chroma subsampling ratios. This implies that the
			// (h, v) values for the Y component are either (1, 1), (1, 2),
			// (2, 1), (2, 2), (4, 1) or (4, 2), and the Y component's values
			// must be a multiple of the Cb and Cr component's values. We also
			// assume that the two chroma components have the same subsampling
			// ratio.
			switch i {
			case 0: // Y.
				// We have already verified, above, that h and v are both
				// either 1, 2 or 4, so invalid (h, v) combinations are those
				// with v == 4.
				if v == 4 {
					return errUnsupportedSubsamplingRatio
				}
			case 1: // Cb.
				if d.comp[0].h%h != 0 || d.comp[0].v%v != 0 {
					return errUnsupportedSubsamplingRatio
				}
			case 2: // Cr.
				if d.comp[1].h != h || d.comp[1].v != v {
					return errUnsupportedSubsamplingRatio
				}
			}
		}

		d.comp[i].h = h
		d.comp[i].v = v
	}
	return nil
}

// Specified in section B.2.4.1.
func (d *decoder) processDQT(n int) error {
loop:
	for n > 0 {
		n--
		x, err := d.readByte()
		if err != nil {
			return err
		}
		tq := x & 0x0f
		if tq > maxTq {
			return FormatError("bad Tq value")
		}
		switch x >> 4 {
		default:
			return FormatError("bad Pq value")
		case 0:
			if n < blockSize {
				break loop
			}
			n -= blockSize
			if err := d.readFull(d.tmp[:blockSize]); err != nil {
				return err
			}
			for i := range d.quant[tq] {
				d.quant[tq][i] = int32(d.tmp[i])
			}
		case 1:
			if n < 2*blockSize {
				break loop
			}
			n -= 2 * blockSize
			if err := d.readFull(d.tmp[:2*blockSize]); err != nil {
				return err
			}
			for i := range d.quant[tq] {
				d.quant[tq][i] = int32(d.tmp[2*i])<<8 | int32(d.tmp[2*i+1])
			}
		}
	}
	if n != 0 {
		return FormatError("DQT has wrong length")
	}
	return nil
}

// Specified in section B.2.4.4.
func (d *decoder) processDRI(n int) error {
	if n != 2 {
		return FormatError("DRI has wrong length")
	}
	if err := d.readFull(d.tmp[:2]); err != nil {
		return err
	}
	d.ri = int(d.tmp[0])<<8 + int(d.tmp[1])
	return nil
}

func (d *decoder) processApp0Marker(n int) error {
	if n < 5 {
		return d.ignore(n)
	}
	if err := d.readFull(d.tmp[:5]); err != nil {
		return err
	}
	n -= 5

	d.jfif = d.tmp[0] == 'J' && d.tmp[1] == 'F' && d.tmp[2] == 'I' && d.tmp[3] == 'F' && d.tmp[4] == '\x00'

	if n > 0 {
		return d.ignore(n)
	}
	return nil
}

func (d *decoder) processApp14Marker(n int) error {
	if n < 12 {
		return d.ignore(n)
	}
	if err := d.readFull(d.tmp[:12]); err != nil {
		return err
	}
	n -= 12

	if d.tmp[0] == 'A' && d.tmp[1] == 'd' && d.tmp[2] == 'o' && d.tmp[3] == 'b' && d.tmp[4] == 'e' {
		d.adobeTransformValid = true
		d.adobeTransform = d.tmp[11]
	}

	if n > 0 {
		return d.ignore(n)
	}
	return nil
}

// decode reads the JPEG in d.data into d.pix.
func (d *decoder) decode() error {
	// Check for the Start Of Image marker.
	if err := d.readFull(d.tmp[:2]); err != nil {
		return err
	}
	if d.tmp[0] != 0xff || d.tmp[1] != soiMarker {
		return FormatError("missing SOI marker")
	}

	// Process the remaining segments until the End Of Image marker.
	for {
		err := d.readFull(d.tmp[:2])
		if err != nil {
			return err
		}
		for d.tmp[0] != 0xff {
			// Strictly speaking, this is a format error. However, libjpeg is
			// liberal in what it accepts. As of version 9, next_marker in
			// jdmarker.c treats this as a warning (JWRN_EXTRANEOUS_DATA) and
			// continues to decode the stream. Even before next_marker sees
			// extraneous data, jpeg_fill_bit_buffer in jdhuff.c reads as many
			// bytes as it can, possibly past the end of a scan's data. It
			// effectively puts back any markers that it overscanned (e.g. an
			// "\xff\xd9" EOI marker), but it does not put back non-marker data,
			// and thus it can silently ignore a small number of extraneous
			// non-marker bytes before next_marker has a chance to see them (and
			// print a warning).
			//
			// We are therefore also liberal in what we accept. Extraneous data
			// is silently ignored.
			//
			// This is similar to, but not exactly the same as, the restart
			// mechanism within a scan (the RST[0-7] markers).
			//
			// Note that extraneous 0xff bytes in e.g. SOS data are escaped as
			// "\xff\x00", and so are detected a little further down below.
			d.tmp[0] = d.tmp[1]
			d.tmp[1], err = d.readByte()
			if err != nil {
				return err
			}
		}
		marker := d.tmp[1]
		if marker == 0 {
			// Treat "\xff\x00" as extraneous data.
			continue
		}
		for marker == 0xff {
			// Section B.1.1.2 says, "Any marker may optionally be preceded by any
			// number of fill bytes, which are bytes assigned code X'FF'".
			marker, err = d.readByte()
			if err != nil {
				return err
			}
		}
		if marker == eoiMarker { // End Of Image.
			break
		}
		if rst0Marker <= marker && marker <= rst7Marker {
			// Figures B.2 and B.16 of the specification suggest that restart markers should
			// only occur between Entropy Coded Segments and not after the final ECS.
			// However, some encoders may generate incorrect JPEGs with a final restart
			// marker. That restart marker will be seen here instead of inside the processSOS
			// method, and is ignored as a harmless error. Restart markers have no extra data,
			// so we check for this before we read the 16-bit length of the segment.
			continue
		}

		// Read the 16-bit length of the segment. The value includes the 2 bytes for the
		// length itself, so we subtract 2 to get the number of remaining bytes.
		if err = d.readFull(d.tmp[:2]); err != nil {
			return err
		}
		n := int(d.tmp[0])<<8 + int(d.tmp[1]) - 2
		if n < 0 {
			return FormatError("short segment length")
		}

		switch marker {
		case sof0Marker, sof1Marker:
			d.baseline = marker == sof0Marker
			err = d.processSOF(n)
		case sof2Marker:
			err = unsupportedError("progressive")
		case dhtMarker:
			err = d.processDHT(n)
		case dqtMarker:
			err = d.processDQT(n)
		case sosMarker:
			err = d.processSOS(n)
		case driMarker:
			err = d.processDRI(n)
		case app0Marker:
			err = d.processApp0Marker(n)
		case app14Marker:
			err = d.processApp14Marker(n)
		default:
			if app0Marker <= marker && marker <= app15Marker || marker == comMarker {
				err = d.ignore(n)
			} else if marker < 0xc0 { // See Table B.1 "Marker code assignments".
				err = FormatError("unknown marker")
			} else {
				// Other SOF markers (lossless, hierarchical, arithmetic
				// coding) and the like: image/jpeg refuses them too,
				// in its own words.
				err = unsupportedError("unknown marker")
			}
		}
		if err != nil {
			return err
		}
	}

	if d.pix == nil {
		return FormatError("missing SOS marker")
	}
	if d.isRGB() {
		// image/jpeg returns RGB pixels, whose luminance is not a plane.
		return unsupportedError("RGB colour transform")
	}
	if !d.lumaDone {
		// image/jpeg's plane is a fresh, zeroed one.
		clear(d.pix)
	}
	return nil
}

func (d *decoder) isRGB() bool {
	if d.nComp != 3 {
		return false
	}
	if d.jfif {
		return false
	}
	if d.adobeTransformValid && d.adobeTransform == adobeTransformUnknown {
		// https://www.sno.phy.queensu.ca/~phil/exiftool/TagNames/JPEG.html#Adobe
		// says that 0 means Unknown (and in practice RGB) and 1 means YCbCr.
		return true
	}
	return d.comp[0].c == 'R' && d.comp[1].c == 'G' && d.comp[2].c == 'B'
}
