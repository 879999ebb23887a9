package qrimage

import (
	"image"
	"image/color"

	"github.com/makiuchi-d/gozxing"
	zqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Render draws text as a QR code the way the CCCD card carries it: the
// UTF-8 bytes in byte mode without a character-set (ECI) marker, error
// correction M, module pixels per module and a quiet zone of quiet modules.
// It is for demos, load generation and tests; the service only reads codes.
func Render(text string, module, quiet int) (*image.Gray, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_MARGIN:           0,
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
	}
	m, err := zqr.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 1, 1, hints)
	if err != nil {
		return nil, err
	}
	n := m.GetWidth()
	size := (n + 2*quiet) * module
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if !m.Get(x, y) {
				continue
			}
			for dy := 0; dy < module; dy++ {
				for dx := 0; dx < module; dx++ {
					img.SetGray((quiet+x)*module+dx, (quiet+y)*module+dy, color.Gray{})
				}
			}
		}
	}
	return img, nil
}
