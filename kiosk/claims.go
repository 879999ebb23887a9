package kiosk

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vnhealth/cccd-checkin/verifier"
	"github.com/vnhealth/cccd-checkin/verifier/claimxml"
)

// maxListedRejections bounds the rejections listed in one answer;
// rejected_total counts them all.
const maxListedRejections = 10_000

type claimsResponse struct {
	verifier.ClaimImport
	RejectedTotal int `json:"rejected_total"`
}

// importClaims answers POST /v1/claims: one Decision 130 claim file as
// application/xml or text/xml, or multipart/form-data with one or more
// "file" parts. Each file is streamed (claimxml) and stored in batches of
// verifier.MaxClaimBatch, so memory per request stays under the parser's
// bound (claimxml.Limits) plus one batch, whatever the file's size; at
// most two imports run at once (claimImports).
func (s *Server) importClaims(c *gin.Context) {
	ct := c.GetHeader("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		s.abort(c, &verifier.Error{Kind: verifier.KindUnsupported, Code: "unsupported_media_type", Message: "send application/xml, text/xml, or multipart/form-data with file parts"})
		return
	}
	select {
	case s.claimImports <- struct{}{}:
		defer func() { <-s.claimImports }()
	case <-c.Request.Context().Done():
		return
	}
	c.Request.Body = limitBody(c, s.maxClaimBody)
	imp := &claimImporter{s: s, c: c, out: claimsResponse{ClaimImport: verifier.ClaimImport{Rejected: []verifier.ClaimRejection{}}}}
	switch mt {
	case "application/xml", "text/xml":
		err = imp.file(c.Request.Body, "")
	case "multipart/form-data":
		if params["boundary"] == "" {
			s.abort(c, badRequest("invalid_multipart", "multipart/form-data needs a boundary"))
			return
		}
		err = imp.multipart(multipart.NewReader(c.Request.Body, params["boundary"]))
	default:
		err = &verifier.Error{Kind: verifier.KindUnsupported, Code: "unsupported_media_type", Message: "send application/xml, text/xml, or multipart/form-data with file parts"}
	}
	if err != nil {
		e := verifier.AsError(err)
		if isMaxBytes(err) {
			e = verifier.AsError(tooLarge())
		}
		if n := imp.out.Imported + imp.out.Replaced; n > 0 && e.Kind != verifier.KindInternal {
			// What came before the fault is stored; sending the corrected
			// file again replaces it (idempotent per MA_CSKCB + MA_LK).
			e = &verifier.Error{Kind: e.Kind, Code: e.Code, Message: fmt.Sprintf("%s (%d claims before it were stored; resubmitting the corrected file replaces them)", e.Message, n)}
		}
		s.abort(c, e)
		return
	}
	c.JSON(http.StatusOK, imp.out)
}

type claimImporter struct {
	s     *Server
	c     *gin.Context
	out   claimsResponse
	batch []verifier.Claim
	files int
}

func (imp *claimImporter) multipart(mr *multipart.Reader) error {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if isMaxBytes(err) {
				return tooLarge()
			}
			return badRequest("invalid_multipart", "the multipart body cannot be read")
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		name := part.FileName()
		if name == "" {
			name = fmt.Sprintf("part %d", imp.files+1)
		}
		err = imp.file(part, name)
		part.Close()
		if err != nil {
			return err
		}
	}
	if imp.files == 0 {
		return verifier.Errorf(verifier.KindUnprocessable, "no_claim_file", "the multipart body has no file part")
	}
	return nil
}

// file reads one claim file; name prefixes its messages when several
// files came in one request.
func (imp *claimImporter) file(r io.Reader, name string) error {
	imp.files++
	prefix := ""
	if name != "" {
		prefix = clipName(name) + ": "
	}
	err := claimxml.Read(r, imp.s.claimLimits, claimxml.Handler{
		Claim: func(cl verifier.Claim) error {
			imp.batch = append(imp.batch, cl)
			if len(imp.batch) == verifier.MaxClaimBatch {
				return imp.flush()
			}
			return nil
		},
		Reject: func(rj verifier.ClaimRejection) {
			imp.out.RejectedTotal++
			if len(imp.out.Rejected) < maxListedRejections {
				rj.Error = prefix + rj.Error
				imp.out.Rejected = append(imp.out.Rejected, rj)
			}
		},
	})
	if ferr := imp.flush(); err == nil {
		err = ferr
	}
	var ve *verifier.Error
	switch {
	case err == nil, errors.As(err, &ve):
	case isMaxBytes(err):
		err = tooLarge()
	default:
		// The body itself failed: cut short, a broken multipart part.
		err = badRequest("invalid_body", "the request body ended early or cannot be read")
	}
	if err != nil && name != "" {
		e := verifier.AsError(err)
		if e.Kind != verifier.KindInternal {
			err = &verifier.Error{Kind: e.Kind, Code: e.Code, Message: prefix + e.Message, Err: e.Err}
		}
	}
	return err
}

func (imp *claimImporter) flush() error {
	if len(imp.batch) == 0 {
		return nil
	}
	res, err := imp.s.v.ImportClaims(imp.c.Request.Context(), imp.batch)
	imp.batch = imp.batch[:0]
	if err != nil {
		return err
	}
	imp.out.Imported += res.Imported
	imp.out.Replaced += res.Replaced
	return nil
}

func clipName(s string) string {
	r := []rune(s)
	if len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}
