package qrimage

import (
	"context"
	"os"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zqr "github.com/makiuchi-d/gozxing/qrcode"
)

func TestDebugOne(t *testing.T) {
	f := os.Getenv("QRIMAGE_DEBUG")
	if f == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(f)
	img, _, err := LoadImage(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	g := toGray(img)
	for _, k := range []int{1, 4, 10} {
		gg := g
		if k > 1 {
			gg = g.upscaleNearest(k)
		}
		for _, h := range []hints{hintsPure, hintsHarder} {
			bm, _ := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(newLumSource(gg)))
			r, err := zqr.NewQRCodeReader().Decode(bm, h)
			t.Logf("k=%d %v: %v %v", k, h, r, err)
		}
	}
	bm, _ := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(newLumSource(g)))
	m, _ := bm.GetBlackMatrix()
	t.Logf("\n%s", m)
}

func TestDebugPerspective(t *testing.T) {
	if os.Getenv("QRIMAGE_DEBUG") == "" {
		t.Skip()
	}
	m := encodeModules(t, cccdPayload, nil)
	code := renderQR(m, 5, 4)
	bg := cameraBackground(3)
	for _, q := range [][8]float64{{120, 120, 520, 40, 520, 450, 120, 360}, {140, 110, 500, 60, 510, 440, 130, 370}} {
		g := warp(code, 640, 480, bg, q)
		var ok []string
		for _, st := range strategies(g.w, g.h) {
			s := newSearch(context.Background(), Options{MaxWork: -1}, false)
			s.only = st.name
			if res, found := s.run(g); found && res[0].Text == cccdPayload {
				ok = append(ok, st.name)
			}
		}
		t.Log(q, ok)
	}
}

func TestDebugPerspective2(t *testing.T) {
	if os.Getenv("QRIMAGE_DEBUG") == "" {
		t.Skip()
	}
	m := encodeModules(t, cccdPayload, nil)
	t.Log("modules", m.GetWidth())
	code := renderQR(m, 5, 4)
	for _, q := range [][8]float64{{140, 110, 500, 60, 510, 440, 130, 370}, {140, 110, 500, 110, 510, 440, 130, 440}, {140, 110, 500, 100, 510, 440, 130, 440}, {140, 110, 500, 90, 510, 440, 130, 440}} {
		g := warp(code, 640, 480, white, q)
		bm, _ := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(newLumSource(g)))
		r, err := zqr.NewQRCodeReader().Decode(bm, hintsHarder)
		if r != nil {
			t.Log(q, "ok")
		} else {
			t.Log(q, err)
		}
	}
}
