// Package claimxml reads claim files as hospitals send them to the insurer
// under Decision 130/QĐ-BYT (docs/domain.md §9): the GIAMDINHHS envelope whose
// THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO elements each carry a table,
// LOAIHOSO (XML1 … XML15) and NOIDUNGFILE, the table's own XML in base64.
// Table XML1, the visit summary, becomes verifier.Claim; every other table
// is accepted and skipped.
//
// The file is streamed with encoding/xml: memory does not grow with the
// file. It is bounded by Limits.MaxText (the longest text or construct the
// decoder holds at once, see runLimiter) plus Limits.MaxTable (one decoded
// table) plus what the caller keeps of the claims it is handed. Like every
// encoding/xml reader it never expands entities it was not given: a file
// declaring its own (an "entity bomb") is refused.
package claimxml

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Limits bound what one file may make the reader hold.
type Limits struct {
	// MaxText is the longest text (a NOIDUNGFILE's base64), comment or
	// CDATA section kept in memory, in bytes. A longer NOIDUNGFILE rejects
	// its table alone; a longer comment stops the file.
	MaxText int64
	// MaxTable is the largest decoded table, in bytes.
	MaxTable int64
	// MaxDepth is the deepest element nesting accepted.
	MaxDepth int
}

// DefaultLimits: 16 MiB of text, 12 MiB per table (a NOIDUNGFILE of 16
// MiB of base64), 32 levels.
func DefaultLimits() Limits {
	return Limits{MaxText: 16 << 20, MaxTable: 12 << 20, MaxDepth: 32}
}

// Handler receives what a file holds, in file order. Claim gets each valid
// XML1 record; Reject each record or table that cannot be used. An error
// from Claim stops the reading and is returned by Read.
type Handler struct {
	Claim  func(verifier.Claim) error
	Reject func(verifier.ClaimRejection)
}

// Read reads one claim file from r. It returns an error only when the file
// as a whole cannot be read: not well-formed XML (KindUnprocessable,
// "malformed_xml"), not a GIAMDINHHS envelope ("invalid_envelope"), too
// deep, or a comment or CDATA section past the limit ("xml_too_large",
// KindTooLarge). Claims handed to h before such an error were complete and
// valid; a resubmission of the corrected file replaces them.
func Read(r io.Reader, lim Limits, h Handler) error {
	if lim.MaxText <= 0 || lim.MaxTable <= 0 || lim.MaxDepth <= 0 {
		d := DefaultLimits()
		lim.MaxText, lim.MaxTable, lim.MaxDepth = cmpOr(lim.MaxText, d.MaxText), cmpOr(lim.MaxTable, d.MaxTable), cmpOrInt(lim.MaxDepth, d.MaxDepth)
	}
	lr := &runLimiter{r: r, max: lim.MaxText}
	d := newDecoder(lr)
	p := &envelopeReader{lim: lim, h: h, lr: lr}
	err := p.read(d)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errConstructTooLong):
		return verifier.Errorf(verifier.KindTooLarge, "xml_too_large", "the file holds a comment or CDATA section longer than %d bytes", lim.MaxText)
	case verifier.KindOf(err) != verifier.KindInternal:
		return err
	case errors.Is(err, errStop):
		return p.stopErr
	}
	var syn *xml.SyntaxError
	if errors.As(err, &syn) {
		return verifier.Errorf(verifier.KindUnprocessable, "malformed_xml", "the file is not well-formed XML (line %d): %s", syn.Line, syn.Msg)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return verifier.Errorf(verifier.KindUnprocessable, "malformed_xml", "the file ends before its envelope is closed")
	}
	var rd readError
	if errors.As(err, &rd) {
		return rd.err // the body's own error (too large, client gone)
	}
	return verifier.Errorf(verifier.KindUnprocessable, "malformed_xml", "the file is not well-formed XML: %s", clipMsg(err.Error()))
}

func cmpOr(a, b int64) int64 {
	if a > 0 {
		return a
	}
	return b
}

func cmpOrInt(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// readError marks an error of the underlying reader, passed on unchanged.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

type errReader struct{ r io.Reader }

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, errConstructTooLong) {
		err = readError{err}
	}
	return n, err
}

var errStop = errors.New("claimxml: stopped by the handler")

func newDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(errReader{r})
	d.Strict = true // undefined entities are errors, never expanded
	d.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("encoding %q is not supported: claim files are UTF-8", clipMsg(label))
	}
	return d
}

// checkDirective refuses a DOCTYPE that declares entities: encoding/xml
// would not expand them anyway (a use is an undefined-entity error), but
// the answer should say why.
func checkDirective(t xml.Directive) error {
	if bytes.Contains(t, []byte("ENTITY")) {
		return verifier.Errorf(verifier.KindUnprocessable, "xml_entities", "the file declares XML entities, which claim files never do; refused")
	}
	return nil
}

type envelopeReader struct {
	lim     Limits
	h       Handler
	lr      *runLimiter
	stopErr error

	facility string // THONGTINDONVI/MACSKCB
	hoso     int    // HOSO elements seen

	// The FILEHOSO being read.
	inFile   bool
	loai     strings.Builder
	content  []byte
	keep     bool // content is wanted (LOAIHOSO is XML1 or not known yet)
	cutsAt   int
	fileSeen int
}

func (p *envelopeReader) read(d *xml.Decoder) error {
	var path []string
	root := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !root {
				return verifier.Errorf(verifier.KindUnprocessable, "invalid_envelope", "the file is empty: a claim file is a GIAMDINHHS envelope")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Directive:
			if err := checkDirective(t); err != nil {
				return err
			}
		case xml.StartElement:
			name := t.Name.Local
			if len(path) == 0 {
				if root {
					return verifier.Errorf(verifier.KindUnprocessable, "malformed_xml", "a second root element after the GIAMDINHHS envelope")
				}
				if name != "GIAMDINHHS" {
					return verifier.Errorf(verifier.KindUnprocessable, "invalid_envelope", "the root element is %s: a claim file is a GIAMDINHHS envelope", clipMsg(name))
				}
				root = true
			}
			if len(path) >= p.lim.MaxDepth {
				return verifier.Errorf(verifier.KindUnprocessable, "malformed_xml", "elements nested deeper than %d", p.lim.MaxDepth)
			}
			path = append(path, name)
			switch {
			case name == "HOSO":
				p.hoso++
			case name == "FILEHOSO":
				p.inFile, p.keep, p.cutsAt = true, true, p.lr.cuts
				p.loai.Reset()
				p.content = p.content[:0]
				p.fileSeen++
			}
		case xml.EndElement:
			if len(path) == 0 {
				return verifier.Errorf(verifier.KindUnprocessable, "malformed_xml", "unexpected end element")
			}
			name := path[len(path)-1]
			path = path[:len(path)-1]
			if name == "FILEHOSO" && p.inFile {
				p.inFile = false
				if err := p.file(); err != nil {
					return err
				}
			}
			if name == "LOAIHOSO" && p.inFile {
				p.keep = strings.EqualFold(strings.TrimSpace(p.loai.String()), "XML1")
				if !p.keep {
					p.content = p.content[:0]
				}
			}
		case xml.CharData:
			if len(path) == 0 {
				continue
			}
			switch cur := path[len(path)-1]; {
			case cur == "MACSKCB" && len(path) >= 2 && path[len(path)-2] == "THONGTINDONVI":
				p.facility = strings.TrimSpace(string(t))
				if len(p.facility) > 20 {
					p.facility = p.facility[:20]
				}
			case p.inFile && cur == "LOAIHOSO":
				if p.loai.Len() < 32 {
					p.loai.Write(t)
				}
			case p.inFile && cur == "NOIDUNGFILE" && p.keep:
				p.content = append(p.content, t...)
			}
		}
	}
}

// file handles the FILEHOSO just closed.
func (p *envelopeReader) file() error {
	loai := strings.ToUpper(strings.TrimSpace(p.loai.String()))
	where := fmt.Sprintf("HOSO %d", p.hoso)
	if loai != "XML1" {
		if loai == "" {
			p.reject("", where+": a FILEHOSO without LOAIHOSO")
		}
		return nil
	}
	if p.lr.cuts != p.cutsAt {
		p.reject("", fmt.Sprintf("%s: XML1 NOIDUNGFILE is longer than %d bytes", where, p.lim.MaxText))
		return nil
	}
	raw := stripSpace(p.content)
	if len(raw) == 0 {
		p.reject("", where+": XML1 NOIDUNGFILE is empty")
		return nil
	}
	if int64(base64.StdEncoding.DecodedLen(len(raw))) > p.lim.MaxTable {
		p.reject("", fmt.Sprintf("%s: XML1 table larger than %d bytes", where, p.lim.MaxTable))
		return nil
	}
	table := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(table, raw)
	if err != nil {
		p.reject("", where+": XML1 NOIDUNGFILE is not base64")
		return nil
	}
	return p.table(table[:n], where)
}

// stripSpace removes the line breaks and spaces that files put in base64.
func stripSpace(b []byte) []byte {
	w := 0
	for _, c := range b {
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			b[w] = c
			w++
		}
	}
	return b[:w]
}

func (p *envelopeReader) reject(maLK, msg string) {
	if p.h.Reject != nil {
		p.h.Reject(verifier.ClaimRejection{MaLK: maLK, Error: msg})
	}
}

// frame is an element of a table being read: its leaf children's text.
type frame struct {
	fields verifier.ClaimFields
	text   []byte
	leaf   bool // no child element seen (yet)
	name   string
}

// xml1Fields are the names that make an element an XML1 record.
var xml1Fields = map[string]bool{
	"MA_LK": true, "MA_BN": true, "HO_TEN": true, "SO_CCCD": true, "MA_THE_BHYT": true,
	"NGAY_VAO": true, "NGAY_RA": true, "MA_LOAI_KCB": true, "MA_CSKCB": true, "T_BHTT": true,
}

// table reads an XML1 table by field name: any element whose leaf children
// include an XML1 field is one record, whatever its and its parents' names
// (TONG_HOP, CHITIEU_TONGHOP, a list of several …).
func (p *envelopeReader) table(b []byte, where string) error {
	d := newDecoder(bytes.NewReader(b))
	var stack []*frame
	records := 0
	rejectTable := func(msg string) {
		maLK := ""
		for _, f := range stack {
			if f.fields != nil && f.fields["MA_LK"] != "" {
				maLK = strings.TrimSpace(f.fields["MA_LK"])
			}
		}
		p.reject(clipMsg(maLK), where+": XML1 "+msg)
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				rejectTable(fmt.Sprintf("is not well-formed XML (line %d): %s", syn.Line, clipMsg(syn.Msg)))
			} else {
				rejectTable("is not well-formed XML: " + clipMsg(err.Error()))
			}
			return nil
		}
		switch t := tok.(type) {
		case xml.Directive:
			if checkDirective(t) != nil {
				rejectTable("declares XML entities; refused")
				return nil
			}
		case xml.StartElement:
			if len(stack) >= p.lim.MaxDepth {
				rejectTable(fmt.Sprintf("nests elements deeper than %d", p.lim.MaxDepth))
				return nil
			}
			if len(stack) > 0 {
				stack[len(stack)-1].leaf = false
			}
			stack = append(stack, &frame{leaf: true, name: t.Name.Local})
		case xml.CharData:
			if len(stack) > 0 {
				if f := stack[len(stack)-1]; f.leaf && len(f.text) < 4096 {
					f.text = append(f.text, t...)
				}
			}
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.leaf {
				if len(stack) > 0 {
					parent := stack[len(stack)-1]
					if parent.fields == nil {
						parent.fields = verifier.ClaimFields{}
					}
					parent.fields[f.name] = string(f.text)
				}
				continue
			}
			if !isRecord(f.fields) {
				continue
			}
			records++
			c, err := verifier.NewClaim(f.fields, p.facility)
			if err != nil {
				var fe *verifier.FieldError
				if errors.As(err, &fe) {
					p.reject(clipMsg(fe.MaLK), where+": "+fe.Error())
				} else {
					p.reject(clipMsg(strings.TrimSpace(f.fields["MA_LK"])), where+": "+err.Error())
				}
				continue
			}
			if p.h.Claim != nil {
				if err := p.h.Claim(c); err != nil {
					p.stopErr = err
					return errStop
				}
			}
		}
	}
	if records == 0 {
		p.reject("", where+": XML1 holds no record (no MA_LK, NGAY_VAO, … fields)")
	}
	return nil
}

func isRecord(f verifier.ClaimFields) bool {
	for k := range f {
		if xml1Fields[k] {
			return true
		}
	}
	return false
}

// clipMsg bounds text from the file quoted in an answer.
func clipMsg(s string) string {
	if len(s) > 100 {
		s = strings.ToValidUTF8(s[:100], "") + "…"
	}
	return s
}
