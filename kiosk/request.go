package kiosk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// readBody decodes a request body into dst: JSON, or multipart/form-data
// whose text fields are read as the JSON object's string members and whose
// "image" file, if any, is returned. It answers the contract's 400, 413 and
// 415 errors; it never reads more than the configured limits.
func (s *Server) readBody(c *gin.Context, dst any) (image []byte, err error) {
	ct := c.GetHeader("Content-Type")
	mt := "application/json" // a body without a type is taken as JSON
	var params map[string]string
	// The exact "application/json" most clients send needs no parsing
	// (ParseMediaType allocates a parameter map for it); it parses to
	// itself with no parameters.
	if ct != "" && ct != "application/json" {
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			return nil, &verifier.Error{Kind: verifier.KindUnsupported, Code: "unsupported_media_type", Message: "the Content-Type header is malformed"}
		}
	}
	switch mt {
	case "application/json":
		c.Request.Body = limitBody(c, s.maxBody)
		return nil, decodeJSONBody(c.Request.Body, s.maxBody, dst)
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, badRequest("invalid_multipart", "multipart/form-data needs a boundary")
		}
		// An image plus a few small fields.
		c.Request.Body = limitBody(c, s.image.MaxBytes+s.maxBody)
		return s.readMultipart(c, dst)
	}
	return nil, &verifier.Error{Kind: verifier.KindUnsupported, Code: "unsupported_media_type", Message: "send application/json, or multipart/form-data with an image"}
}

func limitBody(c *gin.Context, n int64) io.ReadCloser {
	return http.MaxBytesReader(c.Writer, c.Request.Body, n)
}

// decodeJSON decodes exactly one JSON value. Unknown members are ignored
// (clients may send more than this version knows); wrong types, syntax
// errors and trailing data are 400 with a message naming the field.
func decodeJSON(r io.Reader, dst any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if isMaxBytes(err) {
			return tooLarge()
		}
		return badRequest("invalid_json", "the body must hold exactly one JSON object")
	}
	return nil
}

// bodyBufs holds the buffers JSON request bodies are read into.
var bodyBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024) // a check-in body is a few hundred bytes
	return &b
}}

// maxPooledBody bounds the buffers kept in bodyBufs, so that a body near
// the limit does not pin its memory in the pool.
const maxPooledBody = 64 << 10

// decodeJSONBody answers exactly as decodeJSON(r, dst) does, for a body r
// that is a MaxBytesReader of limit bytes, at less cost: the body is read
// whole into a pooled buffer and decoded with json.Unmarshal, which needs
// no Decoder and no refill buffer per request.
//
// json.Unmarshal and the Decoder agree on everything but malformed input:
// Unmarshal checks the whole body first (so a body with trailing data or
// a syntax error anywhere is a SyntaxError, where the Decoder may report a
// type error in the first value, "exactly one JSON object", or an empty
// body), and it never sees how the body ended. So the fast path is taken
// only when the body ended (EOF) within the limit and Unmarshal found it
// well-formed; then the Decoder, which would have decoded the same single
// value and met only white space and EOF after it, answers the same. Every
// other body goes to decodeJSON over the bytes already read followed by
// the rest of r, which reproduces the Decoder's answer byte for byte.
func decodeJSONBody(r io.Reader, limit int64, dst any) error {
	bp := bodyBufs.Get().(*[]byte)
	buf, ended, rerr := readUpTo(r, (*bp)[:0], limit)
	defer func() {
		// Nothing decoded refers to buf: json.Unmarshal copies strings,
		// and UnmarshalText/UnmarshalJSON must copy what they keep.
		if cap(buf) <= maxPooledBody {
			*bp = buf[:0]
			bodyBufs.Put(bp)
		}
	}()
	if ended {
		err := json.Unmarshal(buf, dst)
		if _, malformed := err.(*json.SyntaxError); !malformed {
			if err != nil {
				return jsonError(err)
			}
			return nil
		}
		return decodeJSON(bytes.NewReader(buf), dst)
	}
	// The limit was reached before EOF, or reading failed: the Decoder
	// meets the same bytes and then the same end. When the limit was
	// reached, it reads on from r, so the MaxBytesReader trips (and marks
	// the connection for closing) exactly when it did before.
	rest := r
	if rerr != nil {
		rest = errReader{rerr}
	}
	return decodeJSON(io.MultiReader(bytes.NewReader(buf), rest), dst)
}

// readUpTo appends what r yields to buf until EOF (ended) or a read error,
// or until buf holds limit bytes. It never asks r for more than limit bytes
// in all: a MaxBytesReader of limit is not tripped here, only by a reader
// that goes on past the limit.
func readUpTo(r io.Reader, buf []byte, limit int64) (_ []byte, ended bool, err error) {
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow as append does
		}
		end := len(buf) + int(min(int64(cap(buf)-len(buf)), limit-int64(len(buf))))
		n, err := r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, false, nil
}

// errReader fails every read with err: a body that failed once fails for
// the Decoder too (a MaxBytesReader keeps returning its first error).
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case isMaxBytes(err):
		return tooLarge()
	case errors.Is(err, io.EOF):
		return badRequest("invalid_json", "the body is empty: send a JSON object")
	case errors.As(err, &te):
		if te.Field == "" {
			return badRequest("invalid_json", "the body must be a JSON object")
		}
		return badRequest("invalid_field", fmt.Sprintf("field %q must be a %s", te.Field, jsonTypeName(te.Type.Kind().String())))
	case errors.As(err, &se):
		return badRequest("invalid_json", fmt.Sprintf("the body is not valid JSON (at byte %d)", se.Offset))
	}
	var ve *verifier.Error
	if errors.As(err, &ve) {
		// A field's own parser (a date, an ID) refused the value.
		return &verifier.Error{Kind: verifier.KindInvalid, Code: ve.Code, Message: ve.Message}
	}
	return badRequest("invalid_json", "the body is not valid JSON")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "int", "int64", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	}
	return "JSON " + kind
}

func tooLarge() error {
	return &verifier.Error{Kind: verifier.KindTooLarge, Code: "body_too_large", Message: "the request body is larger than this endpoint accepts"}
}

// readMultipart reads the text fields into dst and returns the "image" file.
func (s *Server) readMultipart(c *gin.Context, dst any) ([]byte, error) {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, badRequest("invalid_multipart", "the multipart body is malformed")
	}
	fields := map[string]string{}
	var image []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isMaxBytes(err) {
				return nil, tooLarge()
			}
			return nil, badRequest("invalid_multipart", "the multipart body is malformed")
		}
		name := part.FormName()
		switch {
		case name == "image":
			if image != nil {
				return nil, badRequest("invalid_multipart", "send one image")
			}
			var buf bytes.Buffer
			n, err := io.Copy(&buf, io.LimitReader(part, s.image.MaxBytes+1))
			if err != nil {
				if isMaxBytes(err) {
					return nil, tooLarge()
				}
				return nil, badRequest("invalid_multipart", "the image part could not be read")
			}
			if n > s.image.MaxBytes {
				return nil, &verifier.Error{Kind: verifier.KindTooLarge, Code: "image_too_large", Message: fmt.Sprintf("an image may have at most %d bytes", s.image.MaxBytes)}
			}
			image = buf.Bytes()
		case name != "":
			v, err := io.ReadAll(io.LimitReader(part, 4096+1))
			if err != nil || len(v) > 4096 {
				return nil, badRequest("invalid_multipart", fmt.Sprintf("field %q is too long or unreadable", name))
			}
			fields[name] = strings.TrimSpace(string(v))
		}
	}
	b, _ := json.Marshal(fields)
	if err := json.Unmarshal(b, dst); err != nil {
		return nil, jsonError(err)
	}
	return image, nil
}
