package kiosk

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/vnhealth/cccd-checkin/verifier"
)

// Export formats of the auditors' lists.
const (
	formatJSON = ""
	formatCSV  = "csv"
	formatXLSX = "xlsx"

	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// exportFormat reads format= (or the Accept header) of an auditor's list.
func exportFormat(c *gin.Context) (string, error) {
	switch f := c.Query("format"); f {
	case formatCSV, formatXLSX:
		return f, nil
	case "json":
		return formatJSON, nil
	case "":
		accept := c.GetHeader("Accept")
		switch {
		case strings.Contains(accept, "text/csv"):
			return formatCSV, nil
		case strings.Contains(accept, xlsxType):
			return formatXLSX, nil
		}
		return formatJSON, nil
	}
	return "", verifier.Errorf(verifier.KindUnprocessable, "invalid_format", "format must be json, csv or xlsx")
}

// column is one column of an export; text columns hold IDs, card numbers
// and codes, whose leading zeros a spreadsheet must keep.
type column struct {
	name  string
	text  bool
	width float64
}

// exporter writes the rows of one export. Values are strings, float64 or
// int. For CSV the header is sent at once and rows stream; an XLSX
// workbook is assembled (excelize's stream writer spills to a temporary
// file past 16 MiB) and sent by close, so a failure before close can still
// be answered as a JSON error.
type exporter interface {
	row(vals ...any) error
	close() error
}

// maxXLSXRows is the sheet's row limit (Excel's), header included.
const maxXLSXRows = 1 << 20

func (s *Server) newExporter(c *gin.Context, format, name string, cols []column) (exporter, error) {
	if format == formatCSV {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		c.Status(http.StatusOK)
		// A byte-order mark, so spreadsheet software reads UTF-8 and
		// shows Vietnamese correctly.
		_, _ = c.Writer.WriteString("\ufeff")
		w := &csvExporter{w: csv.NewWriter(c.Writer)}
		names := make([]any, len(cols))
		for i, col := range cols {
			names[i] = col.name
		}
		return w, w.row(names...)
	}
	f := excelize.NewFile()
	sheet := "Sheet1"
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, verifier.Wrap(err, verifier.KindInternal, "internal", "the workbook cannot be started")
	}
	x := &xlsxExporter{c: c, f: f, sw: sw, name: name, cols: cols}
	// "@": the Text number format, so an ID typed or pasted over stays text.
	if x.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil {
		return nil, verifier.Wrap(err, verifier.KindInternal, "internal", "the workbook cannot be styled")
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE7F0"}},
		Border: []excelize.Border{{Type: "bottom", Color: "7F8C99", Style: 1}}})
	if err != nil {
		return nil, verifier.Wrap(err, verifier.KindInternal, "internal", "the workbook cannot be styled")
	}
	for i, col := range cols {
		w := col.width
		if w == 0 {
			w = 14
		}
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, verifier.Wrap(err, verifier.KindInternal, "internal", "the workbook cannot be laid out")
		}
	}
	// The header row stays in view while the auditor scrolls.
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return nil, verifier.Wrap(err, verifier.KindInternal, "internal", "the workbook cannot be laid out")
	}
	hdr := make([]any, len(cols))
	for i, col := range cols {
		hdr[i] = excelize.Cell{StyleID: head, Value: col.name}
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return nil, verifier.Wrap(err, verifier.KindInternal, "internal", "the workbook cannot be written")
	}
	x.rows = 1
	return x, nil
}

type csvExporter struct{ w *csv.Writer }

func (e *csvExporter) row(vals ...any) error {
	rec := make([]string, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case string:
			rec[i] = csvCell(v)
		case float64:
			rec[i] = strconv.FormatFloat(v, 'f', -1, 64)
		case int:
			rec[i] = strconv.Itoa(v)
		}
	}
	if err := e.w.Write(rec); err != nil {
		return err
	}
	return nil
}

func (e *csvExporter) close() error { e.w.Flush(); return e.w.Error() }

// csvCell defuses spreadsheet formula injection: a cell that a spreadsheet
// would read as a formula (beginning with =, +, -, @, tab or carriage
// return) gets a leading apostrophe, as OWASP recommends.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type xlsxExporter struct {
	c    *gin.Context
	f    *excelize.File
	sw   *excelize.StreamWriter
	name string
	cols []column
	text int
	rows int
	cut  bool
}

func (e *xlsxExporter) row(vals ...any) error {
	if e.rows >= maxXLSXRows-1 {
		if !e.cut {
			e.cut = true
			e.rows++
			cell, _ := excelize.CoordinatesToCellName(1, e.rows)
			return e.sw.SetRow(cell, []any{"#truncated: the sheet holds at most 1,048,576 rows; narrow the range or use format=csv"})
		}
		return nil
	}
	out := make([]any, len(vals))
	for i, v := range vals {
		if i < len(e.cols) && e.cols[i].text {
			s, _ := v.(string)
			out[i] = excelize.Cell{StyleID: e.text, Value: s}
			continue
		}
		out[i] = v
	}
	e.rows++
	cell, _ := excelize.CoordinatesToCellName(1, e.rows)
	return e.sw.SetRow(cell, out)
}

func (e *xlsxExporter) close() error {
	defer e.f.Close()
	if err := e.sw.Flush(); err != nil {
		return verifier.Wrap(err, verifier.KindInternal, "internal", "the workbook cannot be written")
	}
	e.c.Header("Content-Type", xlsxType)
	e.c.Header("Content-Disposition", `attachment; filename="`+e.name+`.xlsx"`)
	e.c.Status(http.StatusOK)
	return e.f.Write(e.c.Writer)
}

// deskCells are a visit's export cells of the desk's fields: referral_no,
// acknowledgement_reason, acknowledgement_note, acknowledged_by,
// acknowledged_at (RFC 3339 in the service's zone); empty when unset.
func deskCells(v verifier.Visit) []any {
	out := []any{v.ReferralNo, "", "", "", ""}
	if a := v.Acknowledgement; a != nil {
		out[1], out[2], out[3], out[4] = a.Reason, a.Note, a.By, a.At.Format(time.RFC3339)
	}
	return out
}
