package kiosk

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/goccy/go-yaml"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// The kiosk page and the API description ship inside the binary: a
// reception PC needs no network beyond this service.
var (
	//go:embed web
	webFiles embed.FS
	//go:embed openapi.yaml
	openapiDoc []byte
)

func (s *Server) pageRoutes(e *gin.Engine) {
	sub, _ := fs.Sub(webFiles, "web")
	files := http.FileServerFS(sub)
	serve := func(c *gin.Context) {
		// Only real files: a missing one is the API's JSON 404, and a
		// folder is never listed.
		if name := c.Param("file"); name != "" {
			st, err := fs.Stat(sub, "assets"+name)
			if err != nil || st.IsDir() {
				s.abort(c, verifier.Errorf(verifier.KindNotFound, "no_such_file", "no such file"))
				return
			}
		}
		setPageHeaders(c)
		files.ServeHTTP(c.Writer, c.Request)
	}
	e.GET("/", serve)
	e.GET("/assets/*file", serve)
	// The auditors' page: the same assets and headers; the API it calls
	// checks the auditor's token.
	audit, _ := fs.ReadFile(sub, "audit.html")
	e.GET("/audit", func(c *gin.Context) {
		setPageHeaders(c)
		c.Data(http.StatusOK, "text/html; charset=utf-8", audit)
	})
}

func setPageHeaders(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Header("Content-Security-Policy", pageCSP)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Permissions-Policy", "camera=(self)")
}

// pageCSP allows nothing from elsewhere: the pages and their libraries
// (Chart.js, vendored in web/assets/vendor) are served by this service;
// blob: is for exports downloaded through fetch.
const pageCSP = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) openapiYAML(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", openapiDoc)
}

func (s *Server) openapiJSON(c *gin.Context) {
	b, err := yaml.YAMLToJSON(openapiDoc)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}
